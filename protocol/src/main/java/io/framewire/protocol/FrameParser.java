package io.framewire.protocol;

/** Parses one complete frame payload into its {@link Frame} record; every inconsistency is a {@link ProtocolException}. */
final class FrameParser {
    private FrameParser() {}

    /** Parses a HELLO payload whose magic has already been checked and consumed. */
    static Frame.Hello parseHello(byte[] payload, int length) {
        Reader r = new Reader(FrameType.HELLO, 0, payload, length, null);
        int min = r.u8("min version");
        int max = r.u8("max version");
        if (min > max) {
            throw malformed(FrameType.HELLO, 0, "min version " + min + " is above max version " + max);
        }
        if (r.remaining() % FrameLayout.SETTING_LENGTH != 0) {
            throw malformed(FrameType.HELLO, 0, "settings take " + r.remaining()
                    + " bytes, not a multiple of " + FrameLayout.SETTING_LENGTH);
        }
        Settings.Builder settings = Settings.builder();
        while (r.remaining() > 0) {
            int id = r.u16("setting id");
            int value = r.u32("setting value");
            Setting s = Setting.of(id).orElse(null);
            if (s == null) {
                continue; // unknown settings are ignored, so new ones need no new version
            }
            if (!s.accepts(value)) {
                throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "HELLO setting " + s + " = "
                        + Integer.toUnsignedString(value) + " is outside [" + s.min() + ", " + s.max() + "]");
            }
            settings.set(s, value);
        }
        return new Frame.Hello(min, max, settings.build());
    }

    /**
     * Parses a frame of a known type. For MESSAGE, {@code messageLength} is the length read from a
     * first fragment's prefix, or -1 for a continuation. The payload is {@code payload[0, length)}; only
     * a MESSAGE frame keeps the array, so for other types it may be a buffer the caller reuses.
     *
     * @param strings recent strings to reuse, or null
     */
    static Frame parse(int typeCode, int flags, int streamId, int messageLength, byte[] payload, int length,
                       Strings strings) {
        FrameType type = FrameType.orNull(typeCode);
        Reader r = new Reader(type, streamId, payload, length, strings);
        Frame frame = switch (type) {
            case HELLO -> throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "a second HELLO");
            case PING -> {
                requireConnection(type, streamId);
                yield new Frame.Ping(r.u64("payload"));
            }
            case PONG -> {
                requireConnection(type, streamId);
                yield new Frame.Pong(r.u64("payload"));
            }
            case GOAWAY -> {
                requireConnection(type, streamId);
                int last = r.u32("last stream id") & FrameLayout.STREAM_ID_MASK;
                ErrorCode code = ErrorCode.of(r.u16("error code"));
                yield new Frame.GoAway(last, code, r.str16("message"));
            }
            case ERROR -> {
                requireConnection(type, streamId);
                ErrorCode code = ErrorCode.of(r.u16("error code"));
                yield new Frame.Error(code, r.str16("message"));
            }
            case CREDIT -> {
                int kindFlags = flags & (FrameLayout.FLAG_SUBSCRIPTION | FrameLayout.FLAG_PUBLISH_CREDIT);
                Frame.Credit.Kind kind = switch (kindFlags) {
                    case 0 -> Frame.Credit.Kind.WINDOW;
                    case FrameLayout.FLAG_SUBSCRIPTION -> Frame.Credit.Kind.SUBSCRIPTION;
                    case FrameLayout.FLAG_PUBLISH_CREDIT -> Frame.Credit.Kind.PUBLISH;
                    default -> throw new ProtocolException(ErrorCode.PROTOCOL_ERROR,
                            "CREDIT with both flags SUBSCRIPTION and PUBLISH");
                };
                if (kind == Frame.Credit.Kind.SUBSCRIPTION) {
                    requireStream(type, streamId);
                } else if (kind == Frame.Credit.Kind.PUBLISH) {
                    requireConnection(type, streamId);
                }
                int increment = r.u32("increment");
                if (increment <= 0) {
                    throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "CREDIT on stream " + streamId
                            + " has increment " + Integer.toUnsignedString(increment) + ", outside [1, 2^31-1]");
                }
                yield new Frame.Credit(kind, streamId, increment);
            }
            case CALL -> {
                requireStream(type, streamId);
                int shape = r.u8("shape");
                MethodType methodType = MethodType.ofOrNull(shape);
                if (methodType == null) {
                    throw malformed(type, streamId, "unknown call shape " + shape);
                }
                long timeout = -1;
                if ((flags & FrameLayout.FLAG_DEADLINE) != 0) {
                    timeout = r.u64("timeout");
                    if (timeout < 0) {
                        timeout = Long.MAX_VALUE; // beyond 292 years: no practical deadline
                    }
                }
                String method = r.str16("method");
                yield new Frame.Call(streamId, methodType, timeout, method, r.metadata());
            }
            case HEADERS -> {
                requireStream(type, streamId);
                yield new Frame.Headers(streamId, r.metadata());
            }
            case MESSAGE -> {
                requireStream(type, streamId);
                r.skipToEnd();
                yield new Frame.Message(streamId, messageLength, payload, 0, length);
            }
            case HALF_CLOSE -> {
                requireStream(type, streamId);
                yield new Frame.HalfClose(streamId);
            }
            case STATUS -> {
                requireStream(type, streamId);
                StatusCode code = StatusCode.of(r.u8("status"));
                String message = r.str16("message");
                yield new Frame.Status(streamId, code, message, r.metadata());
            }
            case CANCEL -> {
                requireStream(type, streamId);
                StatusCode code = StatusCode.of(r.u8("status"));
                yield new Frame.Cancel(streamId, code, r.str16("reason"));
            }
            case SUBSCRIBE -> {
                requireStream(type, streamId);
                String pattern = r.str16("pattern");
                String group = r.str16("queue group");
                int policyCode = r.u8("overflow policy");
                OverflowPolicy policy = OverflowPolicy.ofOrNull(policyCode);
                if (policy == null) {
                    throw malformed(type, streamId, "unknown overflow policy " + policyCode);
                }
                int maxMessages = r.u32("max messages");
                int maxBytes = r.u32("max bytes");
                int blockTimeout = r.u32("block timeout");
                int credit = r.u32("initial credit");
                yield new Frame.Subscribe(streamId, pattern, group, policy, maxMessages, maxBytes, blockTimeout, credit);
            }
            case UNSUBSCRIBE -> {
                requireStream(type, streamId);
                yield new Frame.Unsubscribe(streamId);
            }
            case PUBLISH -> {
                boolean ack = (flags & FrameLayout.FLAG_ACK_REQUESTED) != 0;
                if (ack != (streamId != 0)) {
                    throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "PUBLISH with ack id " + streamId
                            + (ack ? " and" : " but without") + " flag ACK_REQUESTED");
                }
                String topic = r.str16("topic");
                String replyTo = r.str16("reply-to");
                Metadata md = r.metadata();
                yield new Frame.Publish(streamId, topic, replyTo, md, r.rest());
            }
            case DELIVER -> {
                requireStream(type, streamId);
                long seq = r.u64("sequence");
                String topic = r.str16("topic");
                String replyTo = r.str16("reply-to");
                Metadata md = r.metadata();
                boolean noResponders = (flags & FrameLayout.FLAG_NO_RESPONDERS) != 0;
                yield new Frame.Deliver(streamId, noResponders, seq, topic, replyTo, md, r.rest());
            }
            case GAP -> {
                requireStream(type, streamId);
                long first = r.u64("first sequence");
                long last = r.u64("last sequence");
                int reasonCode = r.u8("reason");
                GapReason reason = GapReason.ofOrNull(reasonCode);
                if (reason == null) {
                    throw malformed(type, streamId, "unknown gap reason " + reasonCode);
                }
                if (Long.compareUnsigned(first, last) > 0) {
                    throw malformed(type, streamId, "gap " + Long.toUnsignedString(first) + ".."
                            + Long.toUnsignedString(last) + " is empty");
                }
                yield new Frame.Gap(streamId, first, last, reason);
            }
            case ACK -> {
                requireStream(type, streamId);
                StatusCode code = StatusCode.of(r.u8("status"));
                yield new Frame.Ack(streamId, code, r.str16("message"));
            }
            case SUBSCRIPTION_END -> {
                requireStream(type, streamId);
                StatusCode code = StatusCode.of(r.u8("status"));
                yield new Frame.SubscriptionEnd(streamId, code, r.str16("message"));
            }
        };
        r.requireEnd();
        return frame;
    }

    private static void requireConnection(FrameType type, int streamId) {
        if (streamId != 0) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, type + " must be on stream 0, got " + streamId);
        }
    }

    private static void requireStream(FrameType type, int streamId) {
        if (streamId == 0) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, type + " must not be on stream 0");
        }
    }

    static ProtocolException malformed(FrameType type, int streamId, String what) {
        return new ProtocolException(ErrorCode.MALFORMED_FRAME, type + " frame on stream " + streamId + ": " + what);
    }

    /**
     * The strings a connection decoded last, by a hash of their bytes: a subscriber's deliveries carry
     * the same few topics over and over, and a hit costs a comparison instead of a new String. Holds
     * {@link #SLOTS} strings of at most {@link #MAX_BYTES} bytes, so a peer cannot make it grow.
     * Not thread-safe: one per decoder.
     */
    static final class Strings {
        static final int SLOTS = 16;
        static final int MAX_BYTES = 64;

        private final byte[][] keys = new byte[SLOTS][];
        private final String[] values = new String[SLOTS];

        /** The string {@code b[off, off+len)} decodes to, or null if it is not valid UTF-8. */
        String decode(byte[] b, int off, int len) {
            if (len == 0) {
                return "";
            }
            if (len > MAX_BYTES) {
                return Utf8.decode(b, off, len);
            }
            int slot = (len * 31 + b[off] * 7 + b[off + len - 1] + b[off + len / 2] * 13) & (SLOTS - 1);
            byte[] key = keys[slot];
            if (key != null && java.util.Arrays.equals(key, 0, key.length, b, off, off + len)) {
                return values[slot];
            }
            String s = Utf8.decode(b, off, len);
            if (s != null) {
                keys[slot] = java.util.Arrays.copyOfRange(b, off, off + len);
                values[slot] = s;
            }
            return s;
        }
    }

    /** A bounds-checked cursor over one payload, {@code b[0, end)}. */
    private static final class Reader {
        private final FrameType type;
        private final int streamId;
        private final byte[] b;
        private final int end;
        private final Strings strings;
        private int pos;

        Reader(FrameType type, int streamId, byte[] b, int end, Strings strings) {
            this.type = type;
            this.streamId = streamId;
            this.b = b;
            this.end = end;
            this.strings = strings;
        }

        int remaining() {
            return end - pos;
        }

        private void need(int n, String field) {
            if (end - pos < n) {
                throw malformed(type, streamId, field + " needs " + n + " bytes at offset " + pos + " but only "
                        + (end - pos) + " remain");
            }
        }

        int u8(String field) {
            need(1, field);
            return b[pos++] & 0xFF;
        }

        int u16(String field) {
            need(2, field);
            int v = ((b[pos] & 0xFF) << 8) | (b[pos + 1] & 0xFF);
            pos += 2;
            return v;
        }

        int u32(String field) {
            need(4, field);
            int v = FrameDecoder.getInt(b, pos);
            pos += 4;
            return v;
        }

        long u64(String field) {
            need(8, field);
            long v = ((long) FrameDecoder.getInt(b, pos) << 32) | (FrameDecoder.getInt(b, pos + 4) & 0xFFFF_FFFFL);
            pos += 8;
            return v;
        }

        String str16(String field) {
            int n = u16(field + " length");
            need(n, field);
            String s = strings == null ? Utf8.decode(b, pos, n) : strings.decode(b, pos, n);
            if (s == null) {
                throw malformed(type, streamId, field + " at offset " + pos + " is not valid UTF-8");
            }
            pos += n;
            return s;
        }

        Metadata metadata() {
            int count = u16("metadata count");
            if (count == 0) {
                return Metadata.EMPTY;
            }
            Metadata.Builder md = Metadata.builder();
            for (int i = 0; i < count; i++) {
                int keyLength = u8("metadata key length");
                need(keyLength, "metadata key");
                String key = new String(b, pos, keyLength, java.nio.charset.StandardCharsets.ISO_8859_1);
                String keyProblem = Metadata.keyProblem(key);
                if (keyProblem != null) {
                    throw malformed(type, streamId, keyProblem);
                }
                pos += keyLength;
                int valueLength = u16("metadata value length");
                need(valueLength, "metadata value");
                byte[] value = java.util.Arrays.copyOfRange(b, pos, pos + valueLength);
                pos += valueLength;
                if (!Metadata.isBinaryKey(key)) {
                    String valueProblem = Metadata.asciiValueProblem(value);
                    if (valueProblem != null) {
                        throw malformed(type, streamId, valueProblem + " (key '" + key + "')");
                    }
                }
                md.add(key, value);
            }
            return md.build();
        }

        byte[] rest() {
            byte[] out = java.util.Arrays.copyOfRange(b, pos, end);
            pos = end;
            return out;
        }

        void skipToEnd() {
            pos = end;
        }

        void requireEnd() {
            if (pos != end) {
                throw malformed(type, streamId, (end - pos) + " unexpected trailing bytes");
            }
        }
    }
}
