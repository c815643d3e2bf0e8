package io.framewire.protocol;

import java.nio.ByteBuffer;

/**
 * Writes frames as bytes ({@code PROTOCOL.md} sections 1 to 3). Stateless and thread-safe.
 *
 * <pre>{@code
 * ByteBuffer out = ByteBuffer.allocate(FrameEncoder.encodedLength(frame));
 * FrameEncoder.encode(frame, out);
 * }</pre>
 *
 * <p>The encoder checks what the type system cannot: strings and metadata that do not fit their
 * length fields, and values out of range, throw {@link IllegalArgumentException} before anything is
 * written.
 */
public final class FrameEncoder {
    private FrameEncoder() {}

    /** Bytes {@code frame} takes on the wire, length prefix included. */
    public static int encodedLength(Frame frame) {
        return FrameLayout.HEADER_LENGTH + payloadLength(frame);
    }

    /** The frame as a new array: for tests and tools; the I/O path encodes into buffers. */
    public static byte[] encode(Frame frame) {
        ByteBuffer b = ByteBuffer.allocate(encodedLength(frame));
        encode(frame, b);
        return b.array();
    }

    /**
     * Writes {@code frame} at {@code dst}'s position and advances it.
     *
     * @throws java.nio.BufferOverflowException if {@code dst} has less room than {@link #encodedLength}
     */
    public static void encode(Frame frame, ByteBuffer dst) {
        encode(frame, dst, payloadLength(frame));
    }

    /**
     * As {@link #encode(Frame, ByteBuffer)}, for a writer that has just computed {@code payload} with
     * {@link #payloadLength} (to size its buffer) and need not compute it again.
     */
    public static void encode(Frame frame, ByteBuffer dst, int payload) {
        if (dst.remaining() < FrameLayout.HEADER_LENGTH + payload) {
            throw new java.nio.BufferOverflowException();
        }
        dst.putInt(FrameLayout.MIN_LENGTH + payload);
        dst.put((byte) frame.type().code());
        dst.put((byte) frame.flags());
        dst.putInt(frame.streamId());
        putPayload(frame, dst);
    }

    /**
     * Writes {@code frame} at {@code dst}'s position if it surely fits in {@code dst}'s remaining room,
     * and returns true; returns false, writing nothing, if it might not. For a writer filling a buffer
     * with many frames: messages and deliveries take one pass over their strings (the length field is
     * filled in afterwards) instead of one to size them and one to write them.
     */
    public static boolean tryEncode(Frame frame, ByteBuffer dst) {
        int bound = quickPayloadBound(frame);
        if (bound < 0) {
            int payload = payloadLength(frame);
            if (dst.remaining() < FrameLayout.HEADER_LENGTH + payload) {
                return false;
            }
            encode(frame, dst, payload);
            return true;
        }
        if (dst.remaining() < FrameLayout.HEADER_LENGTH + bound) {
            return false;
        }
        int start = dst.position();
        dst.position(start + 4);
        dst.put((byte) frame.type().code());
        dst.put((byte) frame.flags());
        dst.putInt(frame.streamId());
        putPayload(frame, dst);
        dst.putInt(start, FrameLayout.MIN_LENGTH + dst.position() - start - FrameLayout.HEADER_LENGTH);
        return true;
    }

    /**
     * At least {@link #payloadLength} of a delivery or publish, from the strings' lengths in chars (a char
     * takes at most 3 bytes of UTF-8); -1 for other frames, and where a string might not fit its str16.
     */
    private static int quickPayloadBound(Frame frame) {
        return switch (frame) {
            case Frame.Deliver d -> d.message().encoded() != null ? 8 + d.message().encoded().length
                    : strBound(d.topic(), d.replyTo(), 8 + d.metadata().encodedSize() + d.data().length);
            case Frame.Publish p -> strBound(p.topic(), p.replyTo(), p.metadata().encodedSize() + p.data().length);
            default -> -1;
        };
    }

    private static int strBound(String a, String b, int rest) {
        if (a.length() > 0xFFFF / 3 || b.length() > 0xFFFF / 3) {
            return -1;
        }
        return 2 + 3 * a.length() + 2 + 3 * b.length() + rest;
    }

    /** The payload of {@code frame}, after its header. */
    private static void putPayload(Frame frame, ByteBuffer dst) {
        switch (frame) {
            case Frame.Hello h -> {
                dst.putInt(FrameLayout.MAGIC);
                dst.put((byte) h.minVersion());
                dst.put((byte) h.maxVersion());
                for (Setting s : Setting.values()) {
                    dst.putShort((short) s.id());
                    dst.putInt(h.settings().get(s));
                }
            }
            case Frame.Ping p -> dst.putLong(p.payload());
            case Frame.Pong p -> dst.putLong(p.payload());
            case Frame.GoAway g -> {
                dst.putInt(g.lastStreamId());
                dst.putShort((short) g.code().code());
                putStr16(dst, g.message());
            }
            case Frame.Error e -> {
                dst.putShort((short) e.code().code());
                putStr16(dst, e.message());
            }
            case Frame.Credit c -> dst.putInt(c.increment());
            case Frame.Call c -> {
                dst.put((byte) c.methodType().code());
                if (c.hasDeadline()) {
                    dst.putLong(c.timeoutNanos());
                }
                putStr16(dst, c.method());
                putMetadata(dst, c.metadata());
            }
            case Frame.Headers h -> putMetadata(dst, h.metadata());
            case Frame.Message m -> {
                if (m.first()) {
                    dst.putInt(m.messageLength());
                }
                dst.put(m.data(), m.offset(), m.length());
            }
            case Frame.HalfClose ignored -> { }
            case Frame.Status s -> {
                dst.put((byte) s.code().code());
                putStr16(dst, s.message());
                putMetadata(dst, s.trailers());
            }
            case Frame.Cancel c -> {
                dst.put((byte) c.code().code());
                putStr16(dst, c.message());
            }
            case Frame.Subscribe s -> {
                putStr16(dst, s.pattern());
                putStr16(dst, s.queueGroup());
                dst.put((byte) s.policy().code());
                dst.putInt(s.maxMessages());
                dst.putInt(s.maxBytes());
                dst.putInt(s.blockTimeoutMillis());
                dst.putInt(s.initialCredit());
            }
            case Frame.Unsubscribe ignored -> { }
            case Frame.Publish p -> putTopicMessage(dst, p.topic(), p.replyTo(), p.metadata(), p.data());
            case Frame.Deliver d -> {
                dst.putLong(d.sequence());
                byte[] encoded = d.message().encoded();
                if (encoded != null) {
                    dst.put(encoded);
                } else {
                    putTopicMessage(dst, d.topic(), d.replyTo(), d.metadata(), d.data());
                }
            }
            case Frame.Gap g -> {
                dst.putLong(g.firstSequence());
                dst.putLong(g.lastSequence());
                dst.put((byte) g.reason().code());
            }
            case Frame.Ack a -> {
                dst.put((byte) a.code().code());
                putStr16(dst, a.message());
            }
            case Frame.SubscriptionEnd e -> {
                dst.put((byte) e.code().code());
                putStr16(dst, e.message());
            }
        }
    }

    /** Bytes of {@code frame}'s payload: {@link #encodedLength} without the header. */
    public static int payloadLength(Frame frame) {
        return switch (frame) {
            case Frame.Hello h -> FrameLayout.HELLO_FIXED_PAYLOAD_LENGTH
                    + Setting.values().length * FrameLayout.SETTING_LENGTH;
            case Frame.Ping p -> 8;
            case Frame.Pong p -> 8;
            case Frame.GoAway g -> 4 + 2 + str16Length(g.message());
            case Frame.Error e -> 2 + str16Length(e.message());
            case Frame.Credit c -> 4;
            case Frame.Call c -> 1 + (c.hasDeadline() ? 8 : 0) + str16Length(c.method()) + c.metadata().encodedSize();
            case Frame.Headers h -> h.metadata().encodedSize();
            case Frame.Message m -> m.payloadLength();
            case Frame.HalfClose h -> 0;
            case Frame.Status s -> 1 + str16Length(s.message()) + s.trailers().encodedSize();
            case Frame.Cancel c -> 1 + str16Length(c.message());
            case Frame.Subscribe s -> str16Length(s.pattern()) + str16Length(s.queueGroup()) + 1 + 16;
            case Frame.Unsubscribe u -> 0;
            case Frame.Publish p -> topicMessageLength(p.topic(), p.replyTo(), p.metadata(), p.data());
            case Frame.Deliver d -> 8 + (d.message().encoded() != null ? d.message().encoded().length
                    : topicMessageLength(d.topic(), d.replyTo(), d.metadata(), d.data()));
            case Frame.Gap g -> 17;
            case Frame.Ack a -> 1 + str16Length(a.message());
            case Frame.SubscriptionEnd e -> 1 + str16Length(e.message());
        };
    }

    /** What a PUBLISH carries, and a DELIVER after its sequence number, as one array: for {@link TopicMessage}. */
    static byte[] encodeTopicMessage(String topic, String replyTo, Metadata metadata, byte[] data) {
        byte[] out = new byte[topicMessageLength(topic, replyTo, metadata, data)];
        putTopicMessage(ByteBuffer.wrap(out), topic, replyTo, metadata, data);
        return out;
    }

    private static int topicMessageLength(String topic, String replyTo, Metadata metadata, byte[] data) {
        return str16Length(topic) + str16Length(replyTo) + metadata.encodedSize() + data.length;
    }

    private static void putTopicMessage(ByteBuffer dst, String topic, String replyTo, Metadata metadata, byte[] data) {
        putStr16(dst, topic);
        putStr16(dst, replyTo);
        putMetadata(dst, metadata);
        dst.put(data);
    }

    private static int str16Length(String s) {
        int n = Utf8.length(s);
        if (n > 0xFFFF) {
            throw new IllegalArgumentException("string of " + n + " UTF-8 bytes does not fit a str16 (max 65535)");
        }
        return 2 + n;
    }

    /** Writes a str16; an ASCII string in one pass, as it is the common case (topics, method names). */
    private static void putStr16(ByteBuffer dst, String s) {
        int chars = s.length();
        int at = dst.position();
        if (chars <= 0xFFFF && dst.remaining() >= 2 + chars) {
            int i = 0;
            if (dst.hasArray()) {
                // Straight into the array: a ByteBuffer.put per byte checks and moves the position each time.
                byte[] a = dst.array();
                int base = dst.arrayOffset() + at + 2;
                for (char c; i < chars && (c = s.charAt(i)) < 0x80; i++) {
                    a[base + i] = (byte) c;
                }
            } else {
                dst.position(at + 2);
                for (char c; i < chars && (c = s.charAt(i)) < 0x80; i++) {
                    dst.put((byte) c);
                }
            }
            if (i == chars) {
                dst.putShort(at, (short) chars);
                dst.position(at + 2 + chars);
                return;
            }
            dst.position(at);
        }
        int n = Utf8.length(s);
        dst.putShort((short) n);
        Utf8.put(dst, s, n);
    }

    private static void putMetadata(ByteBuffer dst, Metadata md) {
        int n = md.size();
        dst.putShort((short) n);
        for (int i = 0; i < n; i++) {
            String k = md.rawKey(i);
            byte[] v = md.rawValue(i);
            dst.put((byte) k.length());
            for (int j = 0; j < k.length(); j++) {
                dst.put((byte) k.charAt(j));
            }
            dst.putShort((short) v.length);
            dst.put(v);
        }
    }
}
