package io.framewire.protocol;

import java.util.Arrays;
import java.util.Objects;

/**
 * One frame of the Framewire protocol: the immutable model that {@link FrameEncoder} writes and
 * {@link FrameDecoder} reads. Each record is one frame type of {@code PROTOCOL.md} section 3; flags
 * are derived from the fields (a CALL has the DEADLINE flag exactly when it has a timeout).
 *
 * <p>Records that hold byte arrays do not copy them: a frame built from an array shares it, and the
 * array must not change while the frame is in use. Their {@code equals} compares contents.
 */
public sealed interface Frame {

    FrameType type();

    /** The stream id field: a stream, a subscription or ack id, or 0 for the connection. */
    int streamId();

    /** The flags byte this frame is written with. */
    default int flags() {
        return 0;
    }

    /** First frame on every connection, both ways. */
    record Hello(int minVersion, int maxVersion, Settings settings) implements Frame {
        public Hello {
            checkU8("minVersion", minVersion);
            checkU8("maxVersion", maxVersion);
            Objects.requireNonNull(settings, "settings");
        }

        public FrameType type() {
            return FrameType.HELLO;
        }

        public int streamId() {
            return 0;
        }
    }

    /** Keepalive and round-trip probe; answered by a {@link Pong} with the same payload. */
    record Ping(long payload) implements Frame {
        public FrameType type() {
            return FrameType.PING;
        }

        public int streamId() {
            return 0;
        }
    }

    record Pong(long payload) implements Frame {
        public FrameType type() {
            return FrameType.PONG;
        }

        public int streamId() {
            return 0;
        }
    }

    /** Graceful drain: streams above {@code lastStreamId} were not processed. */
    record GoAway(int lastStreamId, ErrorCode code, String message) implements Frame {
        public GoAway {
            checkStreamId(lastStreamId);
            Objects.requireNonNull(code, "code");
            message = Utf8.truncate(message, FrameLayout.MAX_ERROR_MESSAGE_BYTES);
        }

        public FrameType type() {
            return FrameType.GOAWAY;
        }

        public int streamId() {
            return 0;
        }
    }

    /** Fatal connection error; the sender closes after it. */
    record Error(ErrorCode code, String message) implements Frame {
        public Error {
            Objects.requireNonNull(code, "code");
            message = Utf8.truncate(message, FrameLayout.MAX_ERROR_MESSAGE_BYTES);
        }

        public FrameType type() {
            return FrameType.ERROR;
        }

        public int streamId() {
            return 0;
        }
    }

    /**
     * Flow-control credit. Stream 0 is the connection; with {@code subscription} the id is a
     * subscription and the increment counts DELIVER frames.
     */
    record Credit(int streamId, boolean subscription, int increment) implements Frame {
        public Credit {
            checkStreamId(streamId);
            if (increment <= 0) {
                throw new IllegalArgumentException("credit increment must be positive, got " + increment);
            }
        }

        public FrameType type() {
            return FrameType.CREDIT;
        }

        public int flags() {
            return subscription ? FrameLayout.FLAG_SUBSCRIPTION : 0;
        }
    }

    /** Opens a call. {@code timeoutNanos} is the time left to the deadline, or -1 for none. */
    record Call(int streamId, MethodType methodType, long timeoutNanos, String method, Metadata metadata)
            implements Frame {
        public Call {
            checkNonZeroStreamId(streamId);
            Objects.requireNonNull(methodType, "methodType");
            Objects.requireNonNull(method, "method");
            Objects.requireNonNull(metadata, "metadata");
            if (timeoutNanos < -1) {
                throw new IllegalArgumentException("timeoutNanos must be >= 0, or -1 for none");
            }
        }

        public boolean hasDeadline() {
            return timeoutNanos >= 0;
        }

        public FrameType type() {
            return FrameType.CALL;
        }

        public int flags() {
            return hasDeadline() ? FrameLayout.FLAG_DEADLINE : 0;
        }
    }

    /** Response metadata, sent at most once, before any response message. */
    record Headers(int streamId, Metadata metadata) implements Frame {
        public Headers {
            checkNonZeroStreamId(streamId);
            Objects.requireNonNull(metadata, "metadata");
        }

        public FrameType type() {
            return FrameType.HEADERS;
        }
    }

    /**
     * One fragment of a message: {@code data[offset, offset+length)}. The first fragment carries the
     * message's total length in {@code messageLength}; continuations have {@code messageLength == -1}.
     */
    record Message(int streamId, int messageLength, byte[] data, int offset, int length) implements Frame {
        public Message {
            checkNonZeroStreamId(streamId);
            Objects.checkFromIndexSize(offset, length, data.length);
            if (messageLength < -1) {
                throw new IllegalArgumentException("messageLength must be >= 0, or -1 for a continuation");
            }
            if (messageLength >= 0 && length > messageLength) {
                throw new IllegalArgumentException("fragment of " + length + " bytes exceeds message length "
                        + messageLength);
            }
        }

        /** A whole message in one frame. */
        public static Message whole(int streamId, byte[] data) {
            return new Message(streamId, data.length, data, 0, data.length);
        }

        public boolean first() {
            return messageLength >= 0;
        }

        /** Bytes of this frame's payload, which is what flow control counts. */
        public int payloadLength() {
            return first() ? FrameLayout.MESSAGE_LENGTH_PREFIX + length : length;
        }

        public FrameType type() {
            return FrameType.MESSAGE;
        }

        public int flags() {
            return first() ? FrameLayout.FLAG_FIRST : 0;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Message m && m.streamId == streamId && m.messageLength == messageLength
                    && Arrays.equals(data, offset, offset + length, m.data, m.offset, m.offset + m.length);
        }

        @Override
        public int hashCode() {
            int h = 31 * streamId + messageLength;
            for (int i = offset; i < offset + length; i++) {
                h = 31 * h + data[i];
            }
            return h;
        }

        @Override
        public String toString() {
            return "Message[streamId=" + streamId + ", messageLength=" + messageLength + ", length=" + length + "]";
        }
    }

    /** The client sends no more messages on this stream. */
    record HalfClose(int streamId) implements Frame {
        public HalfClose {
            checkNonZeroStreamId(streamId);
        }

        public FrameType type() {
            return FrameType.HALF_CLOSE;
        }
    }

    /** Ends a call: its status, a message and trailing metadata. */
    record Status(int streamId, StatusCode code, String message, Metadata trailers) implements Frame {
        public Status {
            checkNonZeroStreamId(streamId);
            Objects.requireNonNull(code, "code");
            Objects.requireNonNull(message, "message");
            Objects.requireNonNull(trailers, "trailers");
        }

        public FrameType type() {
            return FrameType.STATUS;
        }
    }

    /** The client abandons a call. */
    record Cancel(int streamId, StatusCode code, String message) implements Frame {
        public Cancel {
            checkNonZeroStreamId(streamId);
            Objects.requireNonNull(code, "code");
            Objects.requireNonNull(message, "message");
        }

        public FrameType type() {
            return FrameType.CANCEL;
        }
    }

    /** Opens a subscription with a bounded queue and an overflow policy. */
    record Subscribe(int subscriptionId, String pattern, String queueGroup, OverflowPolicy policy,
                     int maxMessages, int maxBytes, int blockTimeoutMillis, int initialCredit) implements Frame {
        public Subscribe {
            checkNonZeroStreamId(subscriptionId);
            Objects.requireNonNull(pattern, "pattern");
            Objects.requireNonNull(queueGroup, "queueGroup");
            Objects.requireNonNull(policy, "policy");
        }

        public FrameType type() {
            return FrameType.SUBSCRIBE;
        }

        public int streamId() {
            return subscriptionId;
        }
    }

    record Unsubscribe(int subscriptionId) implements Frame {
        public Unsubscribe {
            checkNonZeroStreamId(subscriptionId);
        }

        public FrameType type() {
            return FrameType.UNSUBSCRIBE;
        }

        public int streamId() {
            return subscriptionId;
        }
    }

    /** Publishes a message; a non-zero {@code ackId} asks the broker for an {@link Ack}. */
    record Publish(int ackId, String topic, String replyTo, Metadata metadata, byte[] data) implements Frame {
        public Publish {
            checkStreamId(ackId);
            Objects.requireNonNull(topic, "topic");
            Objects.requireNonNull(replyTo, "replyTo");
            Objects.requireNonNull(metadata, "metadata");
            Objects.requireNonNull(data, "data");
        }

        public FrameType type() {
            return FrameType.PUBLISH;
        }

        public int streamId() {
            return ackId;
        }

        public int flags() {
            return ackId != 0 ? FrameLayout.FLAG_ACK_REQUESTED : 0;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Publish p && p.ackId == ackId && p.topic.equals(topic) && p.replyTo.equals(replyTo)
                    && p.metadata.equals(metadata) && Arrays.equals(p.data, data);
        }

        @Override
        public int hashCode() {
            return Objects.hash(ackId, topic, replyTo, metadata, Arrays.hashCode(data));
        }

        @Override
        public String toString() {
            return "Publish[ackId=" + ackId + ", topic=" + topic + ", replyTo=" + replyTo + ", metadata=" + metadata
                    + ", data=" + data.length + " bytes]";
        }
    }

    /**
     * Delivers a message of a subscription, with its per-subscription sequence number. One publish
     * fanned out to many subscriptions shares one {@link TopicMessage} among their frames.
     */
    record Deliver(int subscriptionId, boolean noResponders, long sequence, TopicMessage message) implements Frame {
        public Deliver {
            checkNonZeroStreamId(subscriptionId);
            Objects.requireNonNull(message, "message");
        }

        public Deliver(int subscriptionId, boolean noResponders, long sequence, String topic, String replyTo,
                       Metadata metadata, byte[] data) {
            this(subscriptionId, noResponders, sequence, TopicMessage.of(topic, replyTo, metadata, data));
        }

        public String topic() {
            return message.topic();
        }

        public String replyTo() {
            return message.replyTo();
        }

        public Metadata metadata() {
            return message.metadata();
        }

        public byte[] data() {
            return message.data();
        }

        public FrameType type() {
            return FrameType.DELIVER;
        }

        public int streamId() {
            return subscriptionId;
        }

        public int flags() {
            return noResponders ? FrameLayout.FLAG_NO_RESPONDERS : 0;
        }

        @Override
        public String toString() {
            return "Deliver[subscriptionId=" + subscriptionId + ", noResponders=" + noResponders + ", sequence="
                    + sequence + ", " + message + "]";
        }
    }

    /** Messages {@code firstSequence..lastSequence} (inclusive) of a subscription were discarded. */
    record Gap(int subscriptionId, long firstSequence, long lastSequence, GapReason reason) implements Frame {
        public Gap {
            checkNonZeroStreamId(subscriptionId);
            Objects.requireNonNull(reason, "reason");
            if (Long.compareUnsigned(firstSequence, lastSequence) > 0) {
                throw new IllegalArgumentException("gap " + firstSequence + ".." + lastSequence + " is empty");
            }
        }

        public FrameType type() {
            return FrameType.GAP;
        }

        public int streamId() {
            return subscriptionId;
        }
    }

    /** Answers a PUBLISH that asked for acknowledgement. */
    record Ack(int ackId, StatusCode code, String message) implements Frame {
        public Ack {
            checkNonZeroStreamId(ackId);
            Objects.requireNonNull(code, "code");
            Objects.requireNonNull(message, "message");
        }

        public FrameType type() {
            return FrameType.ACK;
        }

        public int streamId() {
            return ackId;
        }
    }

    /** The broker ended (or refused) a subscription. */
    record SubscriptionEnd(int subscriptionId, StatusCode code, String message) implements Frame {
        public SubscriptionEnd {
            checkNonZeroStreamId(subscriptionId);
            Objects.requireNonNull(code, "code");
            Objects.requireNonNull(message, "message");
        }

        public FrameType type() {
            return FrameType.SUBSCRIPTION_END;
        }

        public int streamId() {
            return subscriptionId;
        }
    }

    private static void checkStreamId(int id) {
        if (id < 0) {
            throw new IllegalArgumentException("stream id must be in [0, 2^31-1], got " + id);
        }
    }

    private static void checkNonZeroStreamId(int id) {
        if (id <= 0) {
            throw new IllegalArgumentException("stream id must be in [1, 2^31-1], got " + id);
        }
    }

    private static void checkU8(String name, int v) {
        if (v < 0 || v > 255) {
            throw new IllegalArgumentException(name + " must be in [0, 255], got " + v);
        }
    }
}
