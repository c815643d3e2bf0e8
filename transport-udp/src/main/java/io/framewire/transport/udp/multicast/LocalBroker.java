package io.framewire.transport.udp.multicast;

import io.framewire.internal.Topics;
import io.framewire.protocol.Frame;
import io.framewire.protocol.FrameDecoder;
import io.framewire.protocol.FrameEncoder;
import io.framewire.protocol.FrameLayout;
import io.framewire.protocol.GapReason;
import io.framewire.protocol.OverflowPolicy;
import io.framewire.protocol.ProtocolException;
import io.framewire.protocol.StatusCode;
import io.framewire.protocol.TopicMessage;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The broker's part, played inside one multicast connection for its own client: the client's
 * subscriptions, matched locally against every message received from the group, numbered per
 * subscription, queued within their bounds and sent on within the credit the client grants, with
 * GAPs for what was lost on the network or dropped by a full queue.
 *
 * <p>Network loss cannot be matched to subscriptions (a lost message's topic is unknown), so every
 * subscription of the connection gets a GAP for it, and its sequence numbers count it: a gap is an
 * upper bound of what a subscription missed. The protocol has no gap reason for network loss yet;
 * such gaps carry {@link #NETWORK_LOSS}.
 *
 * <p>Not thread-safe: the connection calls it under its lock.
 */
final class LocalBroker {
    /** The reason GAPs for network loss carry. */
    static final GapReason NETWORK_LOSS = GapReason.LOST;
    static final int MAX_SUBSCRIPTIONS = 1024;

    private final Consumer<Frame> toClient;
    private final long maxQueuedBytes;
    private final Map<Integer, Sub> subs = new LinkedHashMap<>();
    private long queuedBytes;
    private int clientMaxFrame = FrameLayout.HELLO_MAX_LENGTH;

    /** One item of a subscription's queue: a DELIVER waiting for credit, or a GAP waiting for its turn. */
    private static final class Item {
        final Frame.Deliver deliver;
        final long size;
        long gapFirst;
        long gapLast;
        final GapReason reason;

        Item(Frame.Deliver deliver, long size) {
            this.deliver = deliver;
            this.size = size;
            this.reason = null;
        }

        Item(long first, long last, GapReason reason) {
            this.deliver = null;
            this.size = 0;
            this.gapFirst = first;
            this.gapLast = last;
            this.reason = reason;
        }
    }

    private static final class Sub {
        final int id;
        final String[] pattern;
        final OverflowPolicy policy;
        final int maxMessages;
        final long maxBytes;
        long credit;
        long sequence;
        long bytes;
        int messages;
        final ArrayDeque<Item> queue = new ArrayDeque<>();

        Sub(Frame.Subscribe s) {
            this.id = s.subscriptionId();
            this.pattern = s.pattern().split("\\.", -1);
            this.policy = s.policy();
            this.maxMessages = s.maxMessages();
            this.maxBytes = s.maxBytes() & 0xFFFF_FFFFL;
            this.credit = s.initialCredit() & 0xFFFF_FFFFL;
        }
    }

    LocalBroker(Consumer<Frame> toClient, long maxQueuedBytes) {
        this.toClient = toClient;
        this.maxQueuedBytes = maxQueuedBytes;
    }

    /** The client's MAX_FRAME_SIZE: a DELIVER longer than this is a GAP TOO_LARGE instead. */
    void clientMaxFrame(int bytes) {
        clientMaxFrame = bytes;
    }

    long queuedBytes() {
        return queuedBytes;
    }

    void subscribe(Frame.Subscribe s) {
        String refusal = null;
        StatusCode code = StatusCode.INVALID_ARGUMENT;
        try {
            Topics.checkPattern(s.pattern());
        } catch (IllegalArgumentException e) {
            refusal = e.getMessage();
        }
        if (refusal == null && !s.queueGroup().isEmpty()) {
            code = StatusCode.UNIMPLEMENTED;
            refusal = "queue groups need a broker that sees every member; a multicast group has none (queue group '"
                    + s.queueGroup() + "')";
        } else if (refusal == null && (s.maxMessages() == 0 || s.maxBytes() == 0)) {
            refusal = "a subscription's queue bounds must be at least 1";
        } else if (refusal == null && subs.size() >= MAX_SUBSCRIPTIONS && !subs.containsKey(s.subscriptionId())) {
            code = StatusCode.RESOURCE_EXHAUSTED;
            refusal = "at most " + MAX_SUBSCRIPTIONS + " subscriptions per connection";
        }
        if (refusal != null) {
            toClient.accept(new Frame.SubscriptionEnd(s.subscriptionId(), code, refusal));
            return;
        }
        unsubscribe(s.subscriptionId());
        subs.put(s.subscriptionId(), new Sub(s));
    }

    void unsubscribe(int id) {
        Sub sub = subs.remove(id);
        if (sub != null) {
            queuedBytes -= sub.bytes;
        }
    }

    void credit(int id, int increment) {
        Sub sub = subs.get(id);
        if (sub != null) {
            sub.credit += increment;
            drain(sub);
        }
    }

    /**
     * One message from the group, an encoded PUBLISH frame, for every matching subscription.
     *
     * @return false if it is not one valid PUBLISH frame (the caller counts it, and reports it lost)
     */
    boolean message(byte[] encoded) {
        Frame.Publish p = decodePublish(encoded);
        if (p == null) {
            return false;
        }
        String[] topic = p.topic().split("\\.", -1);
        List<Sub> matching = new ArrayList<>(2);
        for (Sub sub : subs.values()) {
            if (matches(sub.pattern, topic)) {
                matching.add(sub);
            }
        }
        if (matching.isEmpty()) {
            return true;
        }
        TopicMessage m = matching.size() > 1 ? TopicMessage.encodedOnce(p.topic(), p.replyTo(), p.metadata(), p.data())
                : TopicMessage.of(p.topic(), p.replyTo(), p.metadata(), p.data());
        for (Sub sub : matching) {
            long seq = ++sub.sequence;
            Frame.Deliver d = new Frame.Deliver(sub.id, false, seq, m);
            int length = FrameEncoder.encodedLength(d) - FrameLayout.LENGTH_LENGTH;
            if (length > clientMaxFrame) {
                gap(sub, seq, seq, GapReason.TOO_LARGE);
            } else {
                enqueue(sub, d, length);
            }
            drain(sub);
        }
        return true;
    }

    /** {@code count} messages were lost on the network: every subscription gets a GAP for them. */
    void lost(long count) {
        for (Sub sub : subs.values()) {
            long first = sub.sequence + 1;
            sub.sequence += count;
            gap(sub, first, sub.sequence, NETWORK_LOSS);
            drain(sub);
        }
    }

    private static Frame.Publish decodePublish(byte[] encoded) {
        List<Frame> frames = new ArrayList<>(1);
        try {
            FrameDecoder decoder = FrameDecoder.afterHandshake(Math.max(FrameLayout.MIN_LENGTH, encoded.length));
            decoder.decode(java.nio.ByteBuffer.wrap(encoded), frames::add);
            decoder.endOfInput();
        } catch (ProtocolException | IllegalArgumentException e) {
            return null;
        }
        if (frames.size() != 1 || !(frames.get(0) instanceof Frame.Publish p) || p.ackId() != 0) {
            return null;
        }
        try {
            Topics.checkTopic(p.topic());
            if (!p.replyTo().isEmpty()) {
                Topics.checkTopic(p.replyTo());
            }
        } catch (IllegalArgumentException e) {
            return null;
        }
        return p;
    }

    static boolean matches(String[] pattern, String[] topic) {
        for (int i = 0; i < pattern.length; i++) {
            if (pattern[i].equals(">")) {
                return topic.length > i;
            }
            if (i >= topic.length || (!pattern[i].equals("*") && !pattern[i].equals(topic[i]))) {
                return false;
            }
        }
        return pattern.length == topic.length;
    }

    private void enqueue(Sub sub, Frame.Deliver d, long size) {
        boolean full = sub.messages >= sub.maxMessages || sub.bytes + size > sub.maxBytes
                || queuedBytes + size > maxQueuedBytes;
        if (full && sub.policy == OverflowPolicy.DROP_OLDEST) {
            // Drop from the oldest until the new one fits (the queue's head is a DELIVER: drain sends GAPs at once).
            while (full && sub.messages > 0) {
                Item oldest = sub.queue.pollFirst();
                sub.messages--;
                sub.bytes -= oldest.size;
                queuedBytes -= oldest.size;
                long seq = oldest.deliver.sequence();
                Item head = sub.queue.peekFirst();
                if (head != null && head.deliver == null && head.reason == GapReason.DROPPED_OLDEST
                        && head.gapFirst == seq + 1) {
                    head.gapFirst = seq;
                } else {
                    sub.queue.addFirst(new Item(seq, seq, GapReason.DROPPED_OLDEST));
                }
                full = sub.messages >= sub.maxMessages || sub.bytes + size > sub.maxBytes
                        || queuedBytes + size > maxQueuedBytes;
            }
        }
        if (full) {
            // DROP_NEWEST, and BLOCK and DISCONNECT as well: nothing can slow down or cut off a multicast sender.
            gap(sub, d.sequence(), d.sequence(), GapReason.DROPPED_NEWEST);
            return;
        }
        sub.queue.addLast(new Item(d, size));
        sub.messages++;
        sub.bytes += size;
        queuedBytes += size;
    }

    private static void gap(Sub sub, long first, long last, GapReason reason) {
        Item tail = sub.queue.peekLast();
        if (tail != null && tail.deliver == null && tail.reason == reason && tail.gapLast + 1 == first) {
            tail.gapLast = last;
        } else {
            sub.queue.addLast(new Item(first, last, reason));
        }
    }

    private void drain(Sub sub) {
        Item head;
        while ((head = sub.queue.peekFirst()) != null) {
            if (head.deliver == null) {
                sub.queue.pollFirst();
                toClient.accept(new Frame.Gap(sub.id, head.gapFirst, head.gapLast, head.reason));
            } else if (sub.credit > 0) {
                sub.queue.pollFirst();
                sub.credit--;
                sub.messages--;
                sub.bytes -= head.size;
                queuedBytes -= head.size;
                toClient.accept(head.deliver);
            } else {
                return;
            }
        }
    }
}
