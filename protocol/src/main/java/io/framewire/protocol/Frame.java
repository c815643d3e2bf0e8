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
     * Flow-control credit ({@code PROTOCOL.md} section 4). A {@link Kind#WINDOW} credit grants bytes of
     * MESSAGE payload on a stream, or on the connection when the stream id is 0; a
     * {@link Kind#SUBSCRIPTION} credit grants DELIVER frames of a subscription; a {@link Kind#PUBLISH}
     * credit (stream 0) grants bytes of PUBLISH payload.
     */
    record Credit(Kind kind, int streamId, int increment) implements Frame {
        /** What a CREDIT grants; its flag bits on the wire. */
        public enum Kind {
            WINDOW(0),
            SUBSCRIPTION(FrameLayout.FLAG_SUBSCRIPTION),
            PUBLISH(FrameLayout.FLAG_PUBLISH_CREDIT);

            private final int flags;

            Kind(int flags) {
                this.flags = flags;
            }
        }

        public Credit {
            Objects.requireNonNull(kind, "kind");
            checkStreamId(streamId);
            if (increment <= 0) {
                throw new IllegalArgumentException("credit increment must be positive, got " + increment);
            }
            if (kind == Kind.SUBSCRIPTION && streamId == 0) {
                throw new IllegalArgumentException("subscription credit needs a subscription id");
            }
            if (kind == Kind.PUBLISH && streamId != 0) {
                throw new IllegalArgumentException("publish credit is on stream 0, got " + streamId);
            }
        }

        /** Window credit ({@code subscription} false) or subscription credit. */
        public Credit(int streamId, boolean subscription, int increment) {
            this(subscription ? Kind.SUBSCRIPTION : Kind.WINDOW, streamId, increment);
        }

        /** PUBLISH credit, in payload bytes. */
        public static Credit publish(int increment) {
            return new Credit(Kind.PUBLISH, 0, increment);
        }

        public boolean subscription() {
            return kind == Kind.SUBSCRIPTION;
        }

        public FrameType type() {
            return FrameType.CREDIT;
        }

        public int flags() {
            return kind.flags;
        }
    }

    /** Opens a call. {@code timeoutNanos} is the time left to the deadline, or -1 for none. */
    record Call(int streamId, MethodType methodType, long timeoutNanos, String method, Metadata metadata)
            implements Frame {
        public Call {
            checkNonZeroStreamId(streamId);
            Objects.requireNonNull(methodType, "methodType");
            checkStr16("method", method);
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

    /**
     * Ends a call: its status, a message and trailing metadata. A message longer than
     * {@link FrameLayout#MAX_STATUS_MESSAGE_BYTES} is cut there (a handler's exception text can be any length).
     */
    record Status(int streamId, StatusCode code, String message, Metadata trailers) implements Frame {
        public Status {
            checkNonZeroStreamId(streamId);
            Objects.requireNonNull(code, "code");
            message = statusMessage(message);
            Objects.requireNonNull(trailers, "trailers");
        }

        public FrameType type() {
            return FrameType.STATUS;
        }
    }

    /** The client abandons a call; the message is cut as a {@link Status}'s is. */
    record Cancel(int streamId, StatusCode code, String message) implements Frame {
        public Cancel {
            checkNonZeroStreamId(streamId);
            Objects.requireNonNull(code, "code");
            message = statusMessage(message);
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
            checkStr16("pattern", pattern);
            checkStr16("queueGroup", queueGroup);
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
            checkStr16("topic", topic);
            checkStr16("replyTo", replyTo);
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

    /** Answers a PUBLISH that asked for acknowledgement; the message is cut as a {@link Status}'s is. */
    record Ack(int ackId, StatusCode code, String message) implements Frame {
        public Ack {
            checkNonZeroStreamId(ackId);
            Objects.requireNonNull(code, "code");
            message = statusMessage(message);
        }

        public FrameType type() {
            return FrameType.ACK;
        }

        public int streamId() {
            return ackId;
        }
    }

    /** The broker ended (or refused) a subscription; the message is cut as a {@link Status}'s is. */
    record SubscriptionEnd(int subscriptionId, StatusCode code, String message) implements Frame {
        public SubscriptionEnd {
            checkNonZeroStreamId(subscriptionId);
            Objects.requireNonNull(code, "code");
            message = statusMessage(message);
        }

        public FrameType type() {
            return FrameType.SUBSCRIPTION_END;
        }

        public int streamId() {
            return subscriptionId;
        }
    }

    private static String statusMessage(String message) {
        return Utf8.truncate(Objects.requireNonNull(message, "message"), FrameLayout.MAX_STATUS_MESSAGE_BYTES);
    }

    /**
     * A string field that travels as a str16: at most 65,535 bytes of UTF-8, checked when the frame is
     * built, so that a frame that exists can always be encoded.
     */
    private static void checkStr16(String name, String value) {
        Objects.requireNonNull(value, name);
        if (value.length() > FrameLayout.MAX_STR16_BYTES / 3 && Utf8.length(value) > FrameLayout.MAX_STR16_BYTES) {
            throw new IllegalArgumentException(name + " of " + Utf8.length(value) + " UTF-8 bytes is longer than the "
                    + FrameLayout.MAX_STR16_BYTES + " a frame can carry");
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
