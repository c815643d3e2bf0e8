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
 *
 * <p>A publish is resolved once ({@link #resolve}) into a {@link Job}: the message and the
 * subscriptions it goes to. A connection's reader runs the job without waiting; if a BLOCK
 * subscription is full, the rest of the job is finished by a thread that may wait (see
 * {@link InboundPublishes}), so no reader ever waits on another client's behalf.
 */
final class Broker {
    private final SubscriptionIndex<BrokerSubscription> index = new SubscriptionIndex<>();
    /** Queue groups with members: whose turn it is next. A group goes when its last member does. */
    private final Map<String, Group> groups = new ConcurrentHashMap<>();

    private static final class Group {
        final AtomicInteger turn = new AtomicInteger();
        int members; // changed inside the map's compute, so under its bin's lock
    }

    void add(BrokerSubscription s) {
        if (!s.queueGroup.isEmpty()) {
            groups.compute(s.queueGroup, (k, g) -> {
                Group group = g == null ? new Group() : g;
                group.members++;
                return group;
            });
        }
        index.add(s.pattern, s);
    }

    /** Removes {@code s}; idempotent. */
    void remove(BrokerSubscription s) {
        if (index.remove(s.pattern, s) && !s.queueGroup.isEmpty()) {
            groups.computeIfPresent(s.queueGroup, (k, g) -> --g.members <= 0 ? null : g);
        }
    }

    /** The subscriptions matching {@code topic}, for a caller that defers plain offers. */
    List<BrokerSubscription> match(String topic) {
        return index.match(topic);
    }

    /**
     * What a publish amounts to: the subscriptions it goes to (a member of each queue group chosen
     * now) and the message they share. A request (non-empty {@code replyTo}) that matches nothing
     * becomes a job delivering the no-responders notice to the reply topic's subscriptions.
     *
     * @param size the message's encoded size: the PUBLISH frame's payload length
     */
    Job resolve(String topic, String replyTo, Metadata metadata, byte[] data, int size) {
        List<BrokerSubscription> matched = index.match(topic);
        if (matched.isEmpty()) {
            if (replyTo.isEmpty()) {
                return new Job(topic, null, List.of());
            }
            TopicMessage none = TopicMessage.of(replyTo, "", Metadata.EMPTY, new byte[0]);
            int noneSize = io.framewire.protocol.FrameEncoder.payloadLength(
                    new io.framewire.protocol.Frame.Publish(0, replyTo, "", Metadata.EMPTY, new byte[0]));
            return new Job(topic, new BrokerSubscription.Offered(none, true, noneSize), index.match(replyTo));
        }
        BrokerSubscription.Offered m = offered(matched, topic, replyTo, metadata, data, size);
        List<BrokerSubscription> targets = new ArrayList<>(matched.size());
        Map<String, List<BrokerSubscription>> groups = null;
        for (BrokerSubscription s : matched) {
            if (s.queueGroup.isEmpty()) {
                targets.add(s);
            } else {
                if (groups == null) {
                    groups = new LinkedHashMap<>();
                }
                groups.computeIfAbsent(s.queueGroup, g -> new ArrayList<>()).add(s);
            }
        }
        if (groups != null) {
            for (Map.Entry<String, List<BrokerSubscription>> g : groups.entrySet()) {
                targets.add(pick(g.getKey(), g.getValue(), size));
            }
        }
        return new Job(topic, m, targets);
    }

    /** The message as its subscriptions share it: encoded once for all their frames when there are several. */
    static BrokerSubscription.Offered offered(List<BrokerSubscription> matched, String topic, String replyTo,
                                              Metadata metadata, byte[] data, int size) {
        return new BrokerSubscription.Offered(matched.size() > 1
                ? TopicMessage.encodedOnce(topic, replyTo, metadata, data)
                : TopicMessage.of(topic, replyTo, metadata, data), false, size);
    }

    static boolean allPlain(List<BrokerSubscription> matched) {
        for (int i = 0; i < matched.size(); i++) {
            if (!matched.get(i).queueGroup.isEmpty()) {
                return false;
            }
        }
        return true;
    }

    /** The group's next member in turn, preferring one with room. */
    private BrokerSubscription pick(String group, List<BrokerSubscription> members, int size) {
        int n = members.size();
        Group g = groups.get(group);
        int start = g == null ? 0 : Math.floorMod(g.turn.getAndIncrement(), n);
        for (int i = 0; i < n; i++) {
            BrokerSubscription m = members.get((start + i) % n);
            if (m.hasRoomHint(size)) {
                return m;
            }
        }
        return members.get(start);
    }

    /**
     * One publish on its way to its subscriptions, offered to them in order; resumable where an offer
     * would have had to wait. Used by one thread at a time.
     */
    static final class Job {
        private final String topic;
        private final BrokerSubscription.Offered message;
        private final List<BrokerSubscription> targets;
        private int next;
        private int timedOut;
        private int tooLarge;

        Job(String topic, BrokerSubscription.Offered message, List<BrokerSubscription> targets) {
            this.topic = topic;
            this.message = message;
            this.targets = targets;
        }

        /**
         * Offers the message to the subscriptions not offered yet. Without {@code mayWait}, stops (and
         * returns false) at a BLOCK subscription that is full; with it, waits there up to its block
         * timeout. Returns true once every subscription has had its offer.
         */
        boolean run(boolean mayWait) throws InterruptedException {
            for (; next < targets.size(); next++) {
                BrokerSubscription.Outcome o = targets.get(next).offer(message, mayWait);
                switch (o) {
                    case WOULD_BLOCK -> {
                        return false;
                    }
                    case TIMED_OUT -> timedOut++;
                    case TOO_LARGE -> tooLarge++;
                    default -> { }
                }
            }
            return true;
        }

        /** How the publish went, once {@link #run} returned true: what an ACK says. */
        Status status() {
            if (tooLarge > 0) {
                return Status.of(StatusCode.RESOURCE_EXHAUSTED, "a message of " + message.size() + " bytes on '" + topic
                        + "' does not fit the maximum frame size of " + tooLarge + " subscriber(s); they were sent a gap");
            }
            if (timedOut > 0) {
                return Status.of(StatusCode.RESOURCE_EXHAUSTED, timedOut + " BLOCK subscription(s) on '" + topic
                        + "' stayed full past their block timeout; the message was dropped for them");
            }
            return Status.OK;
        }
    }
}
