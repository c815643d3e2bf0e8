package io.framewire.internal;

import io.framewire.Status;
import io.framewire.protocol.Metadata;
import io.framewire.protocol.StatusCode;
import io.framewire.protocol.TopicMessage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A server's publish/subscribe broker: the subscription index and the fan-out. A message goes to
 * every matching subscription without a queue group, and to one member of each matching queue group
 * (taking turns, and skipping members whose queue is full while another has room). Thread-safe:
 * publishes run concurrently on their publishers' threads.
 */
final class Broker {
    private final SubscriptionIndex<BrokerSubscription> index = new SubscriptionIndex<>();
    private final Map<String, AtomicInteger> groupTurns = new ConcurrentHashMap<>();
    final int maxSubscriptionsPerConnection;
    final int maxQueueMessages;
    final long maxQueueBytes;

    Broker(int maxSubscriptionsPerConnection, int maxQueueMessages, long maxQueueBytes) {
        this.maxSubscriptionsPerConnection = maxSubscriptionsPerConnection;
        this.maxQueueMessages = maxQueueMessages;
        this.maxQueueBytes = maxQueueBytes;
    }

    void add(BrokerSubscription s) {
        index.add(s.pattern, s);
    }

    void remove(BrokerSubscription s) {
        index.remove(s.pattern, s);
    }

    /**
     * Delivers a message to every matching subscription, on the calling thread (which BLOCK
     * subscriptions may hold up to their timeouts). A request (non-empty {@code replyTo}) that matches
     * nothing is answered at once with a no-responders delivery to its reply topic.
     *
     * @return OK, or RESOURCE_EXHAUSTED if a BLOCK subscription stayed full past its timeout
     */
    Status publish(String topic, String replyTo, Metadata metadata, byte[] data) throws InterruptedException {
        return publish(topic, replyTo, metadata, data, null, null);
    }

    /**
     * {@link #publish(String, String, Metadata, byte[])} from a connection's reader, for a publish whose
     * result nobody waits for: when every match is a plain subscription, the offers are deferred to the
     * reader's end of read ({@code deferred}, counted in {@code wakeups}) and the result is OK. Otherwise
     * (or with {@code wakeups} null, for a publish that waits for its result) the deferred offers are
     * made first, so this publisher's messages keep their order.
     */
    Status publish(String topic, String replyTo, Metadata metadata, byte[] data, DeferredOffers deferred,
                   Wakeups wakeups) throws InterruptedException {
        List<BrokerSubscription> matched = index.match(topic);
        if (deferred != null) {
            if (wakeups != null && !matched.isEmpty() && allPlain(matched)) {
                BrokerSubscription.Offered m = offered(matched, topic, replyTo, metadata, data);
                boolean first = false;
                for (int i = 0; i < matched.size(); i++) {
                    first |= deferred.add(matched.get(i), m);
                }
                wakeups.added(deferred, first);
                return Status.OK;
            }
            deferred.pay();
        }
        if (matched.isEmpty()) {
            if (!replyTo.isEmpty()) {
                BrokerSubscription.Offered none = new BrokerSubscription.Offered(
                        TopicMessage.of(replyTo, "", Metadata.EMPTY, new byte[0]), true);
                for (BrokerSubscription s : index.match(replyTo)) {
                    s.offer(none);
                }
            }
            return Status.OK;
        }
        BrokerSubscription.Offered m = offered(matched, topic, replyTo, metadata, data);
        int timedOut = 0;
        Map<String, List<BrokerSubscription>> groups = null;
        for (BrokerSubscription s : matched) {
            if (s.queueGroup.isEmpty()) {
                timedOut += deliver(s, m);
            } else {
                if (groups == null) {
                    groups = new LinkedHashMap<>();
                }
                groups.computeIfAbsent(s.queueGroup, g -> new ArrayList<>()).add(s);
            }
        }
        if (groups != null) {
            for (Map.Entry<String, List<BrokerSubscription>> g : groups.entrySet()) {
                timedOut += deliver(pick(g.getKey(), g.getValue(), data.length), m);
            }
        }
        if (timedOut > 0) {
            return Status.of(StatusCode.RESOURCE_EXHAUSTED, timedOut + " BLOCK subscription(s) on '" + topic
                    + "' stayed full past their block timeout; the message was dropped for them");
        }
        return Status.OK;
    }

    /** The message as its subscriptions share it: encoded once for all their frames when there are several. */
    private static BrokerSubscription.Offered offered(List<BrokerSubscription> matched, String topic, String replyTo,
                                                      Metadata metadata, byte[] data) {
        return new BrokerSubscription.Offered(matched.size() > 1
                ? TopicMessage.encodedOnce(topic, replyTo, metadata, data)
                : TopicMessage.of(topic, replyTo, metadata, data), false);
    }

    private static boolean allPlain(List<BrokerSubscription> matched) {
        for (int i = 0; i < matched.size(); i++) {
            if (!matched.get(i).queueGroup.isEmpty()) {
                return false;
            }
        }
        return true;
    }

    private static int deliver(BrokerSubscription s, BrokerSubscription.Offered m) throws InterruptedException {
        return s.offer(m) == BrokerSubscription.Outcome.TIMED_OUT ? 1 : 0;
    }

    /** The group's next member in turn, preferring one with room. */
    private BrokerSubscription pick(String group, List<BrokerSubscription> members, int size) {
        int n = members.size();
        int start = Math.floorMod(groupTurns.computeIfAbsent(group, g -> new AtomicInteger()).getAndIncrement(), n);
        for (int i = 0; i < n; i++) {
            BrokerSubscription m = members.get((start + i) % n);
            if (m.hasRoomHint(size)) {
                return m;
            }
        }
        return members.get(start);
    }
}
