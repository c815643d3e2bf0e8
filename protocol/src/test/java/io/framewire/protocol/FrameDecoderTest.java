package io.framewire.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Encoding then decoding gives back the same frames, however the bytes are split. */
class FrameDecoderTest {

    private static final int MAX = 1 << 20;

    /** One frame of every type, the HELLO first, with the variants each type has (flags, empty fields). */
    static List<Frame> everyKindOfFrame() {
        Metadata md = Metadata.builder()
                .put("authorization", "Bearer abc")
                .put("k", "v1")
                .put("k", "v2")
                .putBinary("trace-bin", new byte[] {0, (byte) 0xff, 0x7f, (byte) 0x80})
                .put("empty", "")
                .build();
        byte[] big = new byte[70_000];
        new Random(1).nextBytes(big);
        List<Frame> frames = new ArrayList<>();
        frames.add(Handshake.clientHello(Settings.builder().set(Setting.MAX_FRAME_SIZE, 16_384)
                .set(Setting.FEATURES, -1).set(Setting.HEARTBEAT_INTERVAL, 0).build()));
        frames.add(new Frame.Ping(0));
        frames.add(new Frame.Ping(-1));
        frames.add(new Frame.Pong(Long.MIN_VALUE));
        frames.add(new Frame.GoAway(0, ErrorCode.NO_ERROR, ""));
        frames.add(new Frame.GoAway(Integer.MAX_VALUE, ErrorCode.ENHANCE_YOUR_CALM, "calm down, ça suffit"));
        frames.add(new Frame.Error(ErrorCode.TRUNCATED_FRAME, "x".repeat(1024)));
        frames.add(new Frame.Credit(0, false, 1));
        frames.add(new Frame.Credit(7, false, Integer.MAX_VALUE));
        frames.add(new Frame.Credit(Integer.MAX_VALUE, true, 3));
        frames.add(new Frame.Call(1, MethodType.UNARY, 0, "a.B/C", Metadata.EMPTY));
        frames.add(new Frame.Call(3, MethodType.CLIENT_STREAMING, Long.MAX_VALUE, "日本.サービス/メソッド", md));
        frames.add(new Frame.Call(5, MethodType.SERVER_STREAMING, -1, "", md));
        frames.add(new Frame.Call(Integer.MAX_VALUE, MethodType.BIDI_STREAMING, 12_345, "x/😀", Metadata.EMPTY));
        frames.add(new Frame.Headers(1, Metadata.EMPTY));
        frames.add(new Frame.Headers(3, md));
        frames.add(Frame.Message.whole(1, new byte[0]));
        frames.add(Frame.Message.whole(1, "payload".getBytes(StandardCharsets.US_ASCII)));
        frames.add(new Frame.Message(3, big.length, big, 0, 65_536));
        frames.add(new Frame.Message(3, -1, big, 65_536, big.length - 65_536));
        frames.add(new Frame.Message(5, 1000, new byte[0], 0, 0));
        frames.add(new Frame.Message(5, -1, big, 17, 1000));
        frames.add(new Frame.HalfClose(1));
        frames.add(new Frame.Status(1, StatusCode.OK, "", Metadata.EMPTY));
        frames.add(new Frame.Status(3, StatusCode.UNAUTHENTICATED, "who are you?", md));
        frames.add(new Frame.Cancel(5, StatusCode.DEADLINE_EXCEEDED, ""));
        frames.add(new Frame.Cancel(7, StatusCode.CANCELLED, "user pressed ^C"));
        frames.add(new Frame.Subscribe(1, ">", "", OverflowPolicy.BLOCK, 1, 1, 5000, 0));
        frames.add(new Frame.Subscribe(2, "orders.*.créé", "workers", OverflowPolicy.DISCONNECT,
                Integer.MAX_VALUE, -1, -1, Integer.MIN_VALUE));
        frames.add(new Frame.Subscribe(3, "a.>", "g", OverflowPolicy.DROP_NEWEST, 10, 10, 0, 64));
        frames.add(new Frame.Unsubscribe(2));
        frames.add(new Frame.Publish(0, "a.b", "", Metadata.EMPTY, new byte[0]));
        frames.add(new Frame.Publish(9, "a.b", "_inbox.1", md, big));
        frames.add(new Frame.Deliver(1, false, 1, "a.b", "", Metadata.EMPTY, new byte[] {1}));
        frames.add(new Frame.Deliver(3, true, Long.MAX_VALUE, "r.1", "", Metadata.EMPTY, new byte[0]));
        frames.add(new Frame.Deliver(3, false, -1, "a.b.c", "reply.here", md, big));
        frames.add(new Frame.Gap(1, 5, 5, GapReason.DROPPED_OLDEST));
        frames.add(new Frame.Gap(2, 0, Long.MAX_VALUE, GapReason.DROPPED_NEWEST));
        frames.add(new Frame.Gap(3, 10, 20, GapReason.BLOCK_TIMEOUT));
        frames.add(new Frame.Ack(9, StatusCode.OK, ""));
        frames.add(new Frame.Ack(10, StatusCode.RESOURCE_EXHAUSTED, "subscription full"));
        frames.add(new Frame.SubscriptionEnd(2, StatusCode.INVALID_ARGUMENT, "bad pattern"));
        frames.add(new Frame.SubscriptionEnd(3, StatusCode.UNAVAILABLE, ""));
        return frames;
    }

    static byte[] encodeAll(List<Frame> frames) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Frame f : frames) {
            out.writeBytes(FrameEncoder.encode(f));
        }
        return out.toByteArray();
    }

    @Test
    void everyFrameTypeIsCovered() {
        List<FrameType> seen = everyKindOfFrame().stream().map(Frame::type).distinct().toList();
        assertEquals(List.of(FrameType.values()), seen.stream().sorted().toList());
    }

    @ParameterizedTest
    @EnumSource(Feeding.class)
    void longSequenceOfEveryTypeRoundTrips(Feeding feeding) {
        List<Frame> frames = everyKindOfFrame();
        byte[] bytes = encodeAll(frames);
        FrameDecoder decoder = FrameDecoder.forConnection(MAX);

        List<Frame> got = feeding.feed(decoder, bytes, 7);

        assertEquals(frames, got);
        assertTrue(decoder.atFrameBoundary());
        assertFalse(decoder.awaitingHello());
        decoder.endOfInput();
    }

    @ParameterizedTest
    @EnumSource(Feeding.class)
    void randomValidFramesRoundTrip(Feeding feeding) {
        Random random = new Random(20_240_601L);
        List<Frame> frames = new ArrayList<>();
        frames.add(randomHello(random));
        for (int i = 0; i < 2000; i++) {
            frames.add(randomFrame(random));
        }
        byte[] bytes = encodeAll(frames);
        FrameDecoder decoder = FrameDecoder.forConnection(MAX);

        List<Frame> got = feeding.feed(decoder, bytes, 99);

        assertEquals(frames.size(), got.size());
        for (int i = 0; i < frames.size(); i++) {
            assertEquals(frames.get(i), got.get(i), "frame " + i);
        }
        assertTrue(decoder.atFrameBoundary());
    }

    @Test
    void severalFramesInOneBufferComeOutInOrderFromOneCall() {
        List<Frame> frames = List.of(new Frame.Ping(1), new Frame.HalfClose(3),
                Frame.Message.whole(3, new byte[] {9, 8, 7}), new Frame.Unsubscribe(4), new Frame.Pong(1));
        FrameDecoder decoder = FrameDecoder.afterHandshake(MAX);
        List<Frame> got = new ArrayList<>();
        ByteBuffer in = ByteBuffer.wrap(encodeAll(frames));

        decoder.decode(in, got::add);

        assertEquals(frames, got);
        assertFalse(in.hasRemaining());
    }

    static List<List<Frame>> splitSamples() {
        Metadata md = Metadata.builder().put("k", "v").putBinary("b-bin", new byte[] {1, 2, 3}).build();
        return List.of(
                List.of(Handshake.clientHello(Settings.defaults())),
                List.of(new Frame.Call(1, MethodType.UNARY, 1_000_000, "svc.S/M", md)),
                List.of(new Frame.Message(5, 10, "abc".getBytes(StandardCharsets.US_ASCII), 0, 3),
                        new Frame.Message(5, -1, "defghij".getBytes(StandardCharsets.US_ASCII), 0, 7)),
                List.of(new Frame.Deliver(2, false, 42, "a.b", "r", md, new byte[] {(byte) 0xff}),
                        new Frame.HalfClose(1)));
    }

    @ParameterizedTest
    @EnumSource(Feeding.class)
    void frameSplitAcrossTwoBuffersAtEveryOffset(Feeding feeding) {
        for (List<Frame> frames : splitSamples()) {
            byte[] bytes = encodeAll(frames);
            for (int split = 0; split <= bytes.length; split++) {
                FrameDecoder decoder = decoderFor(frames);
                List<Frame> got = new ArrayList<>(feeding.feed(decoder, slice(bytes, 0, split), split));
                got.addAll(feeding.feed(decoder, slice(bytes, split, bytes.length), split));
                assertEquals(frames, got, "split at " + split + " of " + bytes.length);
                assertTrue(decoder.atFrameBoundary());
            }
        }
    }

    @Test
    void frameSplitIntoThreeBuffersAtEveryPairOfOffsets() {
        List<Frame> frames = List.of(new Frame.Status(1, StatusCode.NOT_FOUND, "no key",
                Metadata.builder().put("k", "v").build()), new Frame.Credit(1, false, 100));
        byte[] bytes = encodeAll(frames);
        for (int i = 0; i <= bytes.length; i++) {
            for (int j = i; j <= bytes.length; j++) {
                FrameDecoder decoder = FrameDecoder.afterHandshake(MAX);
                List<Frame> got = new ArrayList<>();
                decoder.decode(ByteBuffer.wrap(bytes, 0, i), got::add);
                decoder.decode(ByteBuffer.wrap(bytes, i, j - i), got::add);
                decoder.decode(ByteBuffer.wrap(bytes, j, bytes.length - j), got::add);
                assertEquals(frames, got, "split at " + i + " and " + j);
            }
        }
    }

    @Test
    void decodingAnEmptyBufferDoesNothing() {
        FrameDecoder decoder = FrameDecoder.afterHandshake(MAX);
        List<Frame> got = new ArrayList<>();
        decoder.decode(ByteBuffer.allocate(0), got::add);
        assertEquals(List.of(), got);
        assertTrue(decoder.atFrameBoundary());
    }

    @Test
    void theFirstHelloIsAwaitedUntilItIsComplete() {
        byte[] hello = FrameEncoder.encode(Handshake.clientHello(Settings.defaults()));
        FrameDecoder decoder = FrameDecoder.forConnection(MAX);
        List<Frame> got = new ArrayList<>();

        decoder.decode(ByteBuffer.wrap(hello, 0, FrameLayout.HELLO_PREFIX_LENGTH - 1), got::add);
        assertTrue(decoder.awaitingHello());
        assertFalse(decoder.atFrameBoundary());
        decoder.decode(ByteBuffer.wrap(hello, FrameLayout.HELLO_PREFIX_LENGTH - 1,
                hello.length - FrameLayout.HELLO_PREFIX_LENGTH + 1), got::add);

        assertEquals(List.of(Handshake.clientHello(Settings.defaults())), got);
        assertFalse(decoder.awaitingHello());
        assertTrue(decoder.atFrameBoundary());
    }

    @Test
    void aLoweredMaxFrameLengthAppliesToTheNextFrame() {
        FrameDecoder decoder = FrameDecoder.afterHandshake(MAX);
        Frame small = Frame.Message.whole(1, new byte[100]);
        List<Frame> got = new ArrayList<>();
        decoder.decode(ByteBuffer.wrap(FrameEncoder.encode(small)), got::add);
        decoder.maxFrameLength(FrameLayout.MIN_LENGTH + 104);
        decoder.decode(ByteBuffer.wrap(FrameEncoder.encode(small)), got::add);
        assertEquals(List.of(small, small), got);

        ProtocolException e = assertThrows(ProtocolException.class,
                () -> decoder.decode(ByteBuffer.wrap(FrameEncoder.encode(Frame.Message.whole(1, new byte[101]))),
                        f -> { }));
        assertEquals(ErrorCode.FRAME_TOO_LARGE, e.code());
    }

    // --- extension types ---

    static byte[] extensionFrame(int type, int flags, int streamId, byte[] payload) {
        return ByteBuffer.allocate(FrameLayout.HEADER_LENGTH + payload.length)
                .putInt(FrameLayout.MIN_LENGTH + payload.length).put((byte) type).put((byte) flags)
                .putInt(streamId).put(payload).array();
    }

    @ParameterizedTest
    @EnumSource(Feeding.class)
    void everyExtensionTypeIsSkippedAndLaterFramesStillDecode(Feeding feeding) {
        for (int type = 0xF0; type <= 0xFF; type++) {
            byte[] payload = new byte[type - 0xE0];
            new Random(type).nextBytes(payload);
            Frame before = new Frame.Ping(type);
            Frame after = new Frame.Status(1, StatusCode.OK, "done", Metadata.EMPTY);
            byte[] bytes = concat(FrameEncoder.encode(before), extensionFrame(type, 0xff, 0x7fff_ffff, payload),
                    extensionFrame(type, 0, 0, new byte[] {1}), FrameEncoder.encode(after));
            FrameDecoder decoder = FrameDecoder.afterHandshake(MAX);

            List<Frame> got = feeding.feed(decoder, bytes, type);

            assertEquals(List.of(before, after), got, "type 0x" + Integer.toHexString(type));
            assertTrue(decoder.atFrameBoundary());
        }
    }

    @ParameterizedTest
    @EnumSource(Feeding.class)
    void anExtensionFrameWithAnEmptyPayloadEndsAtAFrameBoundary(Feeding feeding) {
        Frame ping = new Frame.Ping(5);
        byte[] bytes = concat(FrameEncoder.encode(ping), extensionFrame(0xF7, 0, 0, new byte[0]));
        FrameDecoder decoder = FrameDecoder.afterHandshake(MAX);

        assertEquals(List.of(ping), feeding.feed(decoder, bytes, 3));

        assertTrue(decoder.atFrameBoundary(), "the empty extension frame is complete");
        decoder.endOfInput();
    }

    @Test
    void anExtensionFrameOfTheMaximumLengthIsSkippedWithoutBufferingIt() {
        int maxFrameLength = Setting.MAX_FRAME_SIZE.max();
        FrameDecoder decoder = FrameDecoder.afterHandshake(maxFrameLength);
        List<Frame> got = new ArrayList<>();
        byte[] header = ByteBuffer.allocate(FrameLayout.HEADER_LENGTH).putInt(maxFrameLength)
                .put((byte) 0xF3).put((byte) 0).putInt(1).array();
        ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
        long allocatedBefore = allocatedBytes();

        decoder.decode(ByteBuffer.wrap(header), got::add);
        int remaining = maxFrameLength - FrameLayout.MIN_LENGTH;
        while (remaining > 0) {
            int n = Math.min(remaining, chunk.capacity() - 1);
            decoder.decode(chunk.duplicate().limit(n), got::add);
            remaining -= n;
            assertEquals(remaining == 0, decoder.atFrameBoundary());
        }
        long allocated = allocatedBytes() - allocatedBefore;

        Frame pong = new Frame.Pong(77);
        decoder.decode(ByteBuffer.wrap(FrameEncoder.encode(pong)), got::add);
        assertEquals(List.of(pong), got);
        if (allocated >= 0) {
            assertTrue(allocated < maxFrameLength / 4,
                    "skipping a " + maxFrameLength + "-byte frame allocated " + allocated + " bytes");
        }
    }

    /** Bytes allocated so far by this thread, or -1 where the JVM cannot tell. */
    private static long allocatedBytes() {
        if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t
                && t.isThreadAllocatedMemorySupported() && t.isThreadAllocatedMemoryEnabled()) {
            return t.getCurrentThreadAllocatedBytes();
        }
        return -1;
    }

    // --- random frames ---

    private static Frame.Hello randomHello(Random r) {
        Settings.Builder s = Settings.builder();
        for (Setting setting : Setting.values()) {
            if (r.nextBoolean()) {
                long span = (long) setting.max() - setting.min();
                s.set(setting, (int) (setting.min() + (long) (r.nextDouble() * span)));
            }
        }
        return Handshake.clientHello(s.build());
    }

    private static Frame randomFrame(Random r) {
        FrameType[] types = FrameType.values();
        FrameType type = types[1 + r.nextInt(types.length - 1)];
        return switch (type) {
            case HELLO -> throw new AssertionError();
            case PING -> new Frame.Ping(r.nextLong());
            case PONG -> new Frame.Pong(r.nextLong());
            case GOAWAY -> new Frame.GoAway(r.nextInt(Integer.MAX_VALUE), pick(r, ErrorCode.values()), randomString(r, 40));
            case ERROR -> new Frame.Error(pick(r, ErrorCode.values()), randomString(r, 40));
            case CREDIT -> switch (r.nextInt(3)) {
                case 0 -> new Frame.Credit(streamId(r), true, 1 + r.nextInt(Integer.MAX_VALUE));
                case 1 -> Frame.Credit.publish(1 + r.nextInt(Integer.MAX_VALUE));
                default -> new Frame.Credit(r.nextInt(3) == 0 ? 0 : streamId(r), false, 1 + r.nextInt(Integer.MAX_VALUE));
            };
            case CALL -> new Frame.Call(streamId(r), pick(r, MethodType.values()),
                    r.nextBoolean() ? -1 : r.nextLong() & Long.MAX_VALUE, randomString(r, 30), randomMetadata(r));
            case HEADERS -> new Frame.Headers(streamId(r), randomMetadata(r));
            case MESSAGE -> {
                byte[] data = randomBytes(r);
                int offset = data.length == 0 ? 0 : r.nextInt(data.length);
                int length = data.length - offset;
                yield switch (r.nextInt(3)) {
                    case 0 -> Frame.Message.whole(streamId(r), data);
                    case 1 -> new Frame.Message(streamId(r), length + r.nextInt(1 << 20), data, offset, length);
                    // A continuation carries at least one byte.
                    default -> length == 0 ? Frame.Message.whole(streamId(r), data)
                            : new Frame.Message(streamId(r), -1, data, offset, length);
                };
            }
            case HALF_CLOSE -> new Frame.HalfClose(streamId(r));
            case STATUS -> new Frame.Status(streamId(r), pick(r, StatusCode.values()), randomString(r, 30),
                    randomMetadata(r));
            case CANCEL -> new Frame.Cancel(streamId(r), pick(r, StatusCode.values()), randomString(r, 20));
            case SUBSCRIBE -> new Frame.Subscribe(streamId(r), randomString(r, 20), randomString(r, 8),
                    pick(r, OverflowPolicy.values()), r.nextInt(), r.nextInt(), r.nextInt(), r.nextInt());
            case UNSUBSCRIBE -> new Frame.Unsubscribe(streamId(r));
            case PUBLISH -> new Frame.Publish(r.nextBoolean() ? 0 : streamId(r), randomString(r, 20),
                    randomString(r, 10), randomMetadata(r), randomBytes(r));
            case DELIVER -> new Frame.Deliver(streamId(r), r.nextBoolean(), r.nextLong(), randomString(r, 20),
                    randomString(r, 10), randomMetadata(r), randomBytes(r));
            case GAP -> {
                long first = r.nextLong() & Long.MAX_VALUE;
                long last = first + (r.nextLong() & Long.MAX_VALUE) % (Long.MAX_VALUE - first + 1);
                yield new Frame.Gap(streamId(r), first, last, pick(r, GapReason.values()));
            }
            case ACK -> new Frame.Ack(streamId(r), pick(r, StatusCode.values()), randomString(r, 20));
            case SUBSCRIPTION_END -> new Frame.SubscriptionEnd(streamId(r), pick(r, StatusCode.values()),
                    randomString(r, 20));
        };
    }

    private static int streamId(Random r) {
        return r.nextInt(4) == 0 ? Integer.MAX_VALUE - r.nextInt(3) : 1 + r.nextInt(1000);
    }

    private static <T> T pick(Random r, T[] values) {
        return values[r.nextInt(values.length)];
    }

    private static final int[] CODE_POINTS = {'a', 'Z', '0', '.', '/', ' ', '~', 0x7f, 0xe9, 0x3b1, 0x7ff, 0x800,
        0x20ac, 0x65e5, 0xfffd, 0xffff, 0x10000, 0x1f600, 0x10ffff};

    private static String randomString(Random r, int maxCodePoints) {
        int n = r.nextInt(maxCodePoints + 1);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.appendCodePoint(r.nextBoolean() ? 'a' + r.nextInt(26) : CODE_POINTS[r.nextInt(CODE_POINTS.length)]);
        }
        return sb.toString();
    }

    private static byte[] randomBytes(Random r) {
        int size = switch (r.nextInt(10)) {
            case 0 -> 0;
            case 1 -> 1 + r.nextInt(3);
            case 2 -> 65_536 + r.nextInt(70_000);
            default -> r.nextInt(600);
        };
        byte[] b = new byte[size];
        r.nextBytes(b);
        return b;
    }

    private static Metadata randomMetadata(Random r) {
        int n = r.nextInt(4) == 0 ? 0 : r.nextInt(6);
        Metadata.Builder b = Metadata.builder();
        String keyChars = "abcdefghijklmnopqrstuvwxyz0123456789-_.";
        for (int i = 0; i < n; i++) {
            StringBuilder key = new StringBuilder();
            int keyLength = r.nextInt(10) == 0 ? 255 - 4 : 1 + r.nextInt(12);
            for (int j = 0; j < keyLength; j++) {
                key.append(keyChars.charAt(r.nextInt(keyChars.length())));
            }
            if (r.nextBoolean()) {
                byte[] value = new byte[r.nextInt(40)];
                r.nextBytes(value);
                b.putBinary(key + "-bin", value);
            } else {
                String k = key.toString().endsWith("-bin") ? key + "x" : key.toString();
                StringBuilder value = new StringBuilder();
                int valueLength = r.nextInt(40);
                for (int j = 0; j < valueLength; j++) {
                    value.append((char) (0x20 + r.nextInt(0x7f - 0x20)));
                }
                b.put(k, value.toString());
            }
        }
        return b.build();
    }

    private static FrameDecoder decoderFor(List<Frame> frames) {
        return frames.get(0) instanceof Frame.Hello ? FrameDecoder.forConnection(MAX) : FrameDecoder.afterHandshake(MAX);
    }

    private static byte[] slice(byte[] b, int from, int to) {
        return Arrays.copyOfRange(b, from, to);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
