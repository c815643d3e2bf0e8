package io.framewire.protocol;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bytes a broken or malicious peer may send. Each is rejected with the error code PROTOCOL.md gives
 * for it, at the earliest byte that breaks a rule, with a message that names what was wrong.
 */
class HostileInputTest {

    private static final int MAX = 1 << 20;
    private static final byte[] CLIENT_HELLO = FrameEncoder.encode(Handshake.clientHello(Settings.defaults()));

    /** Payload and frame bytes written field by field, so the encoder's own checks do not limit them. */
    static final class Raw {
        private ByteBuffer b = ByteBuffer.allocate(32);

        static Raw payload() {
            return new Raw();
        }

        Raw u8(int v) {
            room(1).put((byte) v);
            return this;
        }

        Raw u16(int v) {
            room(2).putShort((short) v);
            return this;
        }

        Raw u32(int v) {
            room(4).putInt(v);
            return this;
        }

        Raw u64(long v) {
            room(8).putLong(v);
            return this;
        }

        Raw bytes(int... v) {
            for (int x : v) {
                u8(x);
            }
            return this;
        }

        Raw bytes(byte[] v) {
            room(v.length).put(v);
            return this;
        }

        Raw ascii(String s) {
            return bytes(s.getBytes(StandardCharsets.ISO_8859_1));
        }

        Raw str16(String s) {
            byte[] u = s.getBytes(StandardCharsets.UTF_8);
            return u16(u.length).bytes(u);
        }

        /** One metadata block holding a single entry with these raw key and value bytes. */
        Raw oneEntry(byte[] key, byte[] value) {
            return u16(1).u8(key.length).bytes(key).u16(value.length).bytes(value);
        }

        byte[] toArray() {
            return Arrays.copyOf(b.array(), b.position());
        }

        private ByteBuffer room(int n) {
            if (b.remaining() < n) {
                b = ByteBuffer.allocate(Math.max(b.capacity() * 2, b.position() + n)).put(b.flip());
            }
            return b;
        }
    }

    /** A frame with a Length that agrees with its payload. */
    static byte[] frame(int type, int flags, int streamId, Raw payload) {
        byte[] p = payload.toArray();
        return frame(FrameLayout.MIN_LENGTH + p.length, type, flags, streamId, p);
    }

    /** A frame whose Length field says whatever the caller wants. */
    static byte[] frame(int length, int type, int flags, int streamId, byte[] payload) {
        return ByteBuffer.allocate(FrameLayout.HEADER_LENGTH + payload.length).putInt(length).put((byte) type)
                .put((byte) flags).putInt(streamId).put(payload).array();
    }

    static byte[] hello(int length, Raw afterMagic) {
        byte[] p = Raw.payload().u32(FrameLayout.MAGIC).bytes(afterMagic.toArray()).toArray();
        return frame(length, FrameType.HELLO.code(), 0, 0, p);
    }

    static byte[] hello(Raw afterMagic) {
        return hello(FrameLayout.MIN_LENGTH + FrameLayout.MAGIC_LENGTH + afterMagic.toArray().length, afterMagic);
    }

    static ProtocolException assertProtocolError(ErrorCode code, Executable action, String... words) {
        ProtocolException e = assertThrows(ProtocolException.class, action);
        assertEquals(code, e.code(), e::toString);
        for (String w : words) {
            assertTrue(e.getMessage().contains(w), () -> "message \"" + e.getMessage() + "\" should mention \"" + w + "\"");
        }
        return e;
    }

    static void assertDecodeFails(Feeding feeding, FrameDecoder decoder, byte[] bytes, ErrorCode code, String... words) {
        assertProtocolError(code, () -> feeding.feed(decoder, bytes, bytes.length), words);
    }

    /**
     * The first {@code needed - 1} bytes are accepted (and decode to nothing), and the first {@code needed}
     * bytes fail: the violation is caught at byte {@code needed}, without waiting for anything after it.
     */
    static void assertFailsAtByte(Feeding feeding, Supplier<FrameDecoder> decoders, byte[] bytes, int needed,
                                  ErrorCode code, String... words) {
        List<Frame> early = feeding.feed(decoders.get(), Arrays.copyOf(bytes, needed - 1), needed);
        assertEquals(List.of(), early);
        assertDecodeFails(feeding, decoders.get(), Arrays.copyOf(bytes, needed), code, words);
    }

    static FrameDecoder connection() {
        return FrameDecoder.forConnection(MAX);
    }

    static FrameDecoder connectionAfterHello() {
        FrameDecoder d = FrameDecoder.forConnection(MAX);
        d.decode(ByteBuffer.wrap(CLIENT_HELLO), f -> { });
        return d;
    }

    static FrameDecoder established() {
        return FrameDecoder.afterHandshake(MAX);
    }

    // --- the first bytes of a connection ---

    @ParameterizedTest
    @EnumSource(Feeding.class)
    void anErrorInPlaceOfTheHelloIsThePeersRefusal(Feeding feeding) {
        byte[] refusal = FrameEncoder.encode(new Frame.Error(ErrorCode.OVERLOADED, "too many connections (limit 10)"));
        assertEquals(List.of(new Frame.Error(ErrorCode.OVERLOADED, "too many connections (limit 10)")),
                feeding.feed(connection(), refusal, 3));
    }

    @Test
    void anErrorFirstThatIsLongerThanAHelloIsJudgedByItsMagic() {
        byte[] error = frame(FrameLayout.HELLO_MAX_LENGTH + 1, FrameType.ERROR.code(), 0, 0,
                Raw.payload().u16(1).u16(3).ascii("bad").toArray());
        assertDecodeFails(Feeding.WHOLE, connection(), error, ErrorCode.BAD_MAGIC, "not a Framewire peer");
    }

    @Test
    void anErrorFirstOnAStreamIsJudgedByItsMagic() {
        byte[] error = frame(FrameType.ERROR.code(), 0, 5, Raw.payload().u16(1).u16(3).ascii("bad"));
        assertDecodeFails(Feeding.WHOLE, connection(), error, ErrorCode.BAD_MAGIC, "not a Framewire peer");
    }

    /**
     * A peer that announces the largest frame and sends a few bytes of it costs those bytes, not the
     * frame: 130 connections doing so once exhausted a 256 MiB heap, when the decoder allocated on the
     * header alone.
     */
    @ParameterizedTest
    @EnumSource(value = FrameType.class, names = {"MESSAGE", "PUBLISH", "CALL"})
    void memoryFollowsTheBytesThatArriveNotTheDeclaredLength(FrameType type) {
        int max = 16 << 20;
        FrameDecoder decoder = FrameDecoder.afterHandshake(max);
        int flags = type == FrameType.MESSAGE ? FrameLayout.FLAG_FIRST : 0;
        byte[] header = ByteBuffer.allocate(FrameLayout.HEADER_LENGTH + 4).putInt(max).put((byte) type.code())
                .put((byte) flags).putInt(type == FrameType.PUBLISH ? 0 : 1).putInt(max - 10).array();
        decoder.decode(ByteBuffer.wrap(header), f -> fail("no frame yet"));
        decoder.decode(ByteBuffer.wrap(new byte[100]), f -> fail("no frame yet"));
        assertTrue(decoder.heldBytes() <= FrameDecoder.MIN_GROWN_BYTES, "holds " + decoder.heldBytes());

        // It grows as bytes arrive, doubling, so it never holds more than twice what arrived.
        int arrived = 100;
        byte[] chunk = new byte[50_000];
        for (int i = 0; i < 20; i++) {
            decoder.decode(ByteBuffer.wrap(chunk), f -> fail("no frame yet"));
            arrived += chunk.length;
            assertTrue(decoder.heldBytes() <= 2L * arrived + FrameDecoder.MIN_GROWN_BYTES,
                    "holds " + decoder.heldBytes() + " after " + arrived + " bytes");
        }
    }

    @Test
    void aFrameThatArrivesWholeIsReadIntoOneArrayOfItsSize() {
        byte[] data = new byte[200_000];
        new java.util.Random(3).nextBytes(data);
        List<Frame> got = Feeding.WHOLE.feed(established(), FrameEncoder.encode(Frame.Message.whole(7, data)), 0);
        Frame.Message m = (Frame.Message) got.get(0);
        assertEquals(data.length, m.data().length);
        assertArrayEquals(data, Arrays.copyOfRange(m.data(), m.offset(), m.offset() + m.length()));
    }


    @ParameterizedTest
    @EnumSource(Feeding.class)
    void randomGarbageIsBadMagicAtByte14(Feeding feeding) {
        Random random = new Random(4);
        for (int i = 0; i < 50; i++) {
            byte[] garbage = new byte[14 + random.nextInt(200)];
            random.nextBytes(garbage);
            if (FrameDecoder.getInt(garbage, FrameLayout.HEADER_LENGTH) == FrameLayout.MAGIC) {
                continue;
            }
            String firstByte = HexFormat.of().toHexDigits(garbage[0]);
            assertFailsAtByte(feeding, HostileInputTest::connection, garbage, 14, ErrorCode.BAD_MAGIC, "FWIR", firstByte);
        }
    }

    @ParameterizedTest
    @EnumSource(Feeding.class)
    void anHttpRequestIsBadMagic(Feeding feeding) {
        byte[] http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        assertFailsAtByte(feeding, HostileInputTest::connection, http, 14, ErrorCode.BAD_MAGIC, "FWIR", "47 45 54 20");
    }

    @ParameterizedTest
    @EnumSource(Feeding.class)
    void aTlsClientHelloIsBadMagic(Feeding feeding) {
        byte[] tls = Raw.payload().bytes(0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03)
                .bytes(new byte[32]).bytes(0x20).bytes(new byte[32]).toArray();
        assertFailsAtByte(feeding, HostileInputTest::connection, tls, 14, ErrorCode.BAD_MAGIC, "16 03 01");
    }

    @ParameterizedTest
    @EnumSource(Feeding.class)
    void aHelloWithWrongMagicIsBadMagic(Feeding feeding) {
        byte[] bytes = CLIENT_HELLO.clone();
        bytes[13] = 'S';
        assertFailsAtByte(feeding, HostileInputTest::connection, bytes, 14, ErrorCode.BAD_MAGIC, "46 57 49 53");
    }

    @ParameterizedTest
    @EnumSource(Feeding.class)
    void aFirstFrameWithTheMagicButNotAHelloIsAProtocolError(Feeding feeding) {
        byte[] ping = frame(FrameType.PING.code(), 0, 0, Raw.payload().u32(FrameLayout.MAGIC).u32(0));
        assertFailsAtByte(feeding, HostileInputTest::connection, ping, 14, ErrorCode.PROTOCOL_ERROR, "HELLO", "0x2");
    }

    @ParameterizedTest
    @EnumSource(Feeding.class)
    void aHelloLongerThan16384IsTooLargeBeforeItsPayloadIsRead(Feeding feeding) {
        byte[] bytes = hello(16_385, Raw.payload().u8(1).u8(1));
        assertFailsAtByte(feeding, HostileInputTest::connection, bytes, 14, ErrorCode.FRAME_TOO_LARGE, "16385", "16384");
    }

    @ParameterizedTest
    @EnumSource(Feeding.class)
    void aHelloWithAHugeUnsignedLengthIsTooLarge(Feeding feeding) {
        for (int length : new int[] {0x8000_0000, 0xFFFF_FFFF}) {
            byte[] bytes = hello(length, Raw.payload().u8(1).u8(1));
            assertFailsAtByte(feeding, HostileInputTest::connection, bytes, 14, ErrorCode.FRAME_TOO_LARGE,
                    Integer.toUnsignedString(length), "16384");
        }
    }

    @ParameterizedTest
    @EnumSource(Feeding.class)
    void aHelloTooShortForItsVersionsIsMalformed(Feeding feeding) {
        for (int length : new int[] {6, 10, 11}) {
            byte[] bytes = hello(length, Raw.payload().u8(1).u8(1));
            assertFailsAtByte(feeding, HostileInputTest::connection, bytes, 14, ErrorCode.MALFORMED_FRAME,
                    "HELLO length " + length, "12");
        }
    }

    @ParameterizedTest
    @EnumSource(Feeding.class)
    void helloSettingsThatAreNotWholeSixByteEntriesAreMalformed(Feeding feeding) {
        for (int extra : new int[] {1, 5, 7, 11}) {
            byte[] bytes = hello(Raw.payload().u8(1).u8(1).bytes(new byte[extra]));
            assertDecodeFails(feeding, connection(), bytes, ErrorCode.MALFORMED_FRAME, extra + " bytes", "6");
        }
    }

    static Stream<Arguments> outOfRangeSettings() {
        return Stream.of(
                Arguments.of(Setting.MAX_FRAME_SIZE, 100, "100"),
                Arguments.of(Setting.MAX_FRAME_SIZE, 16_383, "16383"),
                Arguments.of(Setting.MAX_FRAME_SIZE, (16 << 20) + 1, "16777217"),
                Arguments.of(Setting.CONNECTION_WINDOW, 65_535, "65535"),
                Arguments.of(Setting.INITIAL_STREAM_WINDOW, 0x8000_0000, "2147483648"),
                Arguments.of(Setting.MAX_CONCURRENT_STREAMS, 0xFFFF_FFFF, "4294967295"));
    }

    @ParameterizedTest
    @MethodSource("outOfRangeSettings")
    void anOutOfRangeSettingIsAProtocolError(Setting setting, int value, String shown) {
        byte[] bytes = hello(Raw.payload().u8(1).u8(1).u16(setting.id()).u32(value));
        for (Feeding feeding : Feeding.values()) {
            assertDecodeFails(feeding, connection(), bytes, ErrorCode.PROTOCOL_ERROR, setting.name(), shown);
        }
    }

    @ParameterizedTest
    @EnumSource(Feeding.class)
    void unknownSettingIdsAreIgnored(Feeding feeding) {
        byte[] bytes = hello(Raw.payload().u8(1).u8(2)
                .u16(0).u32(-1)
                .u16(Setting.MAX_FRAME_SIZE.id()).u32(65_536)
                .u16(0xA).u32(0)
                .u16(0xFFFF).u32(12345)
                .u16(Setting.FEATURES.id()).u32(0x8000_0001));
        Settings expected = Settings.builder().set(Setting.MAX_FRAME_SIZE, 65_536).set(Setting.FEATURES, 0x8000_0001).build();

        assertEquals(List.of(new Frame.Hello(1, 2, expected)), feeding.feed(connection(), bytes, 1));
    }

    @ParameterizedTest
    @EnumSource(Feeding.class)
    void aHelloWithoutSettingsHasTheDefaults(Feeding feeding) {
        byte[] bytes = hello(Raw.payload().u8(1).u8(1));
        assertEquals(List.of(new Frame.Hello(1, 1, Settings.defaults())), feeding.feed(connection(), bytes, 1));
    }

    @ParameterizedTest
    @EnumSource(Feeding.class)
    void aHelloWithMinVersionAboveMaxVersionIsMalformed(Feeding feeding) {
        byte[] bytes = hello(Raw.payload().u8(2).u8(1));
        assertDecodeFails(feeding, connection(), bytes, ErrorCode.MALFORMED_FRAME, "min version 2", "max version 1");
    }

    @ParameterizedTest
    @EnumSource(Feeding.class)
    void aHelloOnANonZeroStreamIsAProtocolError(Feeding feeding) {
        byte[] bytes = CLIENT_HELLO.clone();
        bytes[FrameLayout.STREAM_ID_OFFSET + 3] = 5;
        assertDecodeFails(feeding, connection(), bytes, ErrorCode.PROTOCOL_ERROR, "HELLO", "5");
    }

    // --- version negotiation ---

    @Test
    void aClientSpeakingOnlyAnUnknownVersionIsRefusedNamingBothRanges() {
        assertProtocolError(ErrorCode.UNSUPPORTED_VERSION,
                () -> Handshake.chooseVersion(new Frame.Hello(9, 9, Settings.defaults())), "9..9", "1..1");
        assertProtocolError(ErrorCode.UNSUPPORTED_VERSION,
                () -> Handshake.chooseVersion(new Frame.Hello(0, 0, Settings.defaults())), "0..0", "1..1");
    }

    @Test
    void theServerChoosesTheHighestCommonVersion() {
        assertEquals(1, Handshake.chooseVersion(new Frame.Hello(1, 9, Settings.defaults())));
        assertEquals(1, Handshake.chooseVersion(new Frame.Hello(0, 1, Settings.defaults())));
        assertEquals(1, Handshake.chooseVersion(Handshake.clientHello(Settings.defaults())));
    }

    @Test
    void aServerHelloWithAVersionTheClientDoesNotSpeakIsRefused() {
        assertProtocolError(ErrorCode.UNSUPPORTED_VERSION,
                () -> Handshake.acceptServerHello(Handshake.serverHello(2, Settings.defaults())), "2..2", "1..1");
        assertProtocolError(ErrorCode.UNSUPPORTED_VERSION,
                () -> Handshake.acceptServerHello(Handshake.serverHello(0, Settings.defaults())), "0..0");
        assertProtocolError(ErrorCode.UNSUPPORTED_VERSION,
                () -> Handshake.acceptServerHello(new Frame.Hello(1, 2, Settings.defaults())), "1..2");
        assertEquals(1, Handshake.acceptServerHello(Handshake.serverHello(1, Settings.defaults())));
    }

    // --- the length field ---

    @ParameterizedTest
    @EnumSource(Feeding.class)
    void aLengthAboveTheMaximumFailsOnItsFourthByte(Feeding feeding) {
        for (int length : new int[] {0x7FFF_FFFF, 0xFFFF_FFFF, 0x8000_0000, MAX + 1}) {
            byte[] bytes = frame(length, FrameType.MESSAGE.code(), 0, 1, new byte[16]);
            String shown = Integer.toUnsignedString(length);
            assertFailsAtByte(feeding, HostileInputTest::established, bytes, 4, ErrorCode.FRAME_TOO_LARGE, shown, "" + MAX);
            assertFailsAtByte(feeding, HostileInputTest::connectionAfterHello, bytes, 4, ErrorCode.FRAME_TOO_LARGE, shown);
        }
    }

    @ParameterizedTest
    @EnumSource(Feeding.class)
    void theErrorPointsAtTheOffendingFrame(Feeding feeding) {
        byte[] ping = FrameEncoder.encode(new Frame.Ping(1));
        byte[] bytes = Raw.payload().bytes(ping).bytes(ping).u32(MAX + 1).toArray();
        assertDecodeFails(feeding, established(), bytes, ErrorCode.FRAME_TOO_LARGE, "at byte " + 2 * ping.length);
    }

    @ParameterizedTest
    @EnumSource(Feeding.class)
    void aLengthOfExactlyTheMaximumIsAccepted(Feeding feeding) {
        byte[] header = frame(MAX, FrameType.MESSAGE.code(), 0, 1, new byte[0]);
        FrameDecoder decoder = established();
        assertEquals(List.of(), feeding.feed(decoder, header, 1));
        assertProtocolError(ErrorCode.TRUNCATED_FRAME, decoder::endOfInput, "got 10 of " + (MAX + 4));
    }

    @ParameterizedTest
    @EnumSource(Feeding.class)
    void aLengthBelowSixIsMalformedOnItsFourthByte(Feeding feeding) {
        for (int length = 0; length < FrameLayout.MIN_LENGTH; length++) {
            byte[] bytes = frame(length, FrameType.PING.code(), 0, 0, new byte[8]);
            assertFailsAtByte(feeding, HostileInputTest::established, bytes, 4, ErrorCode.MALFORMED_FRAME,
                    "length " + length, "6");
        }
    }

    @ParameterizedTest
    @EnumSource(Feeding.class)
    void anUnknownFrameTypeFailsOnItsFifthByte(Feeding feeding) {
        for (int type : new int[] {0x00, 0x07, 0x0F, 0x16, 0x1F, 0x27, 0x7F, 0x80, 0xEF}) {
            byte[] bytes = frame(type, 0, 1, Raw.payload().u64(0));
            assertFailsAtByte(feeding, HostileInputTest::established, bytes, 5, ErrorCode.UNKNOWN_FRAME_TYPE,
                    "0x" + Integer.toHexString(type));
        }
    }

    @ParameterizedTest
    @EnumSource(Feeding.class)
    void aSecondHelloIsAProtocolErrorOnItsFifthByte(Feeding feeding) {
        assertFailsAtByte(feeding, HostileInputTest::connectionAfterHello, CLIENT_HELLO, 5, ErrorCode.PROTOCOL_ERROR,
                "second HELLO");
        assertFailsAtByte(feeding, HostileInputTest::established, CLIENT_HELLO, 5, ErrorCode.PROTOCOL_ERROR, "HELLO");
    }

    // --- truncation ---

    static Stream<Arguments> truncations() {
        byte[] ping = FrameEncoder.encode(new Frame.Ping(3));
        byte[] message = FrameEncoder.encode(Frame.Message.whole(1, new byte[20]));
        byte[] extension = frame(0xF1, 0, 0, Raw.payload().u64(0).u64(0));
        return Stream.of(
                Arguments.of("mid-length", false, Arrays.copyOf(ping, 3), "got 3 of at least 10 bytes"),
                Arguments.of("mid-header", false, Arrays.copyOf(ping, 7), "got 7 of 18 bytes"),
                Arguments.of("mid-payload", false, Arrays.copyOf(ping, 12), "got 12 of 18 bytes"),
                Arguments.of("second frame mid-payload", false,
                        Raw.payload().bytes(ping).bytes(Arrays.copyOf(ping, 15)).toArray(), "got 15 of 18 bytes"),
                Arguments.of("mid-message-prefix", false, Arrays.copyOf(message, 12), "got 12 of 34 bytes"),
                Arguments.of("mid-message", false, Arrays.copyOf(message, 30), "got 30 of 34 bytes"),
                Arguments.of("mid-extension", false, Arrays.copyOf(extension, 12), "got 12 of 26 bytes"),
                Arguments.of("mid-hello-prefix", true, Arrays.copyOf(CLIENT_HELLO, 5), "after 5 bytes of the HELLO"),
                Arguments.of("mid-hello", true, Arrays.copyOf(CLIENT_HELLO, 20), "got 20 of 70 bytes"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("truncations")
    void endOfInputInsideAFrameIsTruncated(String name, boolean handshake, byte[] bytes, String expected) {
        for (Feeding feeding : Feeding.values()) {
            FrameDecoder decoder = handshake ? connection() : established();
            feeding.feed(decoder, bytes, 5);
            assertProtocolError(ErrorCode.TRUNCATED_FRAME, decoder::endOfInput, expected);
        }
    }

    @ParameterizedTest
    @EnumSource(Feeding.class)
    void endOfInputAtAFrameBoundaryIsQuiet(Feeding feeding) {
        assertDoesNotThrow(() -> connection().endOfInput());
        assertDoesNotThrow(() -> established().endOfInput());

        FrameDecoder afterHello = connection();
        feeding.feed(afterHello, CLIENT_HELLO, 1);
        assertDoesNotThrow(afterHello::endOfInput);

        FrameDecoder afterFrames = established();
        byte[] frames = Raw.payload().bytes(FrameEncoder.encode(new Frame.Ping(1)))
                .bytes(FrameEncoder.encode(new Frame.HalfClose(1))).toArray();
        assertEquals(2, feeding.feed(afterFrames, frames, 1).size());
        assertDoesNotThrow(afterFrames::endOfInput);
    }

    // --- payloads that do not parse or break a rule ---

    private static final int CALL = FrameType.CALL.code();
    private static final int HEADERS = FrameType.HEADERS.code();
    private static final int MESSAGE = FrameType.MESSAGE.code();
    private static final int SUBSCRIBE = FrameType.SUBSCRIBE.code();
    private static final int GAP = FrameType.GAP.code();
    private static final int CREDIT = FrameType.CREDIT.code();
    private static final int PUBLISH = FrameType.PUBLISH.code();

    private static Arguments bad(String name, byte[] frame, ErrorCode code, String... words) {
        return Arguments.of(name, frame, code, List.of(words));
    }

    private static byte[] headers(byte[] key, byte[] value) {
        return frame(HEADERS, 0, 1, Raw.payload().oneEntry(key, value));
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static Raw gap(long first, long last, int reason) {
        return Raw.payload().u64(first).u64(last).u8(reason);
    }

    static Stream<Arguments> malformedPayloads() {
        return Stream.of(
                bad("HALF_CLOSE with a trailing byte", frame(0x13, 0, 1, Raw.payload().u8(0)),
                        ErrorCode.MALFORMED_FRAME, "HALF_CLOSE", "1 unexpected trailing"),
                bad("UNSUBSCRIBE with trailing bytes", frame(0x21, 0, 2, Raw.payload().bytes(1, 2, 3)),
                        ErrorCode.MALFORMED_FRAME, "UNSUBSCRIBE", "3 unexpected trailing"),
                bad("PING of 9 bytes", frame(0x02, 0, 0, Raw.payload().u64(1).u8(0)),
                        ErrorCode.MALFORMED_FRAME, "PING", "1 unexpected trailing"),
                bad("PING of 7 bytes", frame(0x02, 0, 0, Raw.payload().bytes(new byte[7])),
                        ErrorCode.MALFORMED_FRAME, "PING", "needs 8 bytes", "7 remain"),
                bad("empty PONG", frame(0x03, 0, 0, Raw.payload()),
                        ErrorCode.MALFORMED_FRAME, "PONG", "needs 8 bytes"),
                bad("ERROR message running past the end", frame(0x05, 0, 0, Raw.payload().u16(1).u16(10).ascii("abc")),
                        ErrorCode.MALFORMED_FRAME, "ERROR", "needs 10 bytes", "3 remain"),
                bad("GOAWAY cut inside its message length", frame(0x04, 0, 0, Raw.payload().u32(1).u16(0).u8(0)),
                        ErrorCode.MALFORMED_FRAME, "GOAWAY", "message length"),
                bad("CALL method with invalid UTF-8", frame(CALL, 0, 1, Raw.payload().u8(0).u16(2).bytes(0xC3, 0x28).u16(0)),
                        ErrorCode.MALFORMED_FRAME, "CALL", "method", "UTF-8"),
                bad("CALL method with an overlong '/'", frame(CALL, 0, 1, Raw.payload().u8(0).u16(3).bytes('a', 0xC0, 0xAF).u16(0)),
                        ErrorCode.MALFORMED_FRAME, "method", "UTF-8"),
                bad("STATUS message with a lone continuation byte",
                        frame(0x14, 0, 1, Raw.payload().u8(0).u16(1).bytes(0x80).u16(0)),
                        ErrorCode.MALFORMED_FRAME, "STATUS", "UTF-8"),
                bad("PUBLISH topic with an encoded surrogate",
                        frame(PUBLISH, 0, 0, Raw.payload().u16(3).bytes(0xED, 0xA0, 0x80).u16(0).u16(0)),
                        ErrorCode.MALFORMED_FRAME, "topic", "UTF-8"),
                bad("metadata key in uppercase", headers(ascii("Key"), ascii("v")),
                        ErrorCode.MALFORMED_FRAME, "HEADERS", "Key", "index 0"),
                bad("metadata key with a space", headers(ascii("a b"), ascii("v")),
                        ErrorCode.MALFORMED_FRAME, "index 1"),
                bad("metadata key with a colon", headers(ascii(":path"), ascii("/")),
                        ErrorCode.MALFORMED_FRAME, "index 0"),
                bad("metadata key with a non-ASCII byte", headers(new byte[] {'k', (byte) 0xE9}, ascii("v")),
                        ErrorCode.MALFORMED_FRAME, "index 1"),
                bad("metadata key of length 0", headers(new byte[0], ascii("v")),
                        ErrorCode.MALFORMED_FRAME, "metadata key", "got 0"),
                bad("metadata value with a control byte", headers(ascii("k"), new byte[] {'a', 7}),
                        ErrorCode.MALFORMED_FRAME, "0x7", "index 1", "'k'"),
                bad("metadata value with DEL", headers(ascii("k"), new byte[] {0x7F}),
                        ErrorCode.MALFORMED_FRAME, "0x7f"),
                bad("metadata value with a non-ASCII byte", headers(ascii("k"), new byte[] {(byte) 0xC3, (byte) 0xA9}),
                        ErrorCode.MALFORMED_FRAME, "0xc3"),
                bad("metadata count above its entries", frame(HEADERS, 0, 1, Raw.payload().u16(2).u8(1).ascii("k").u16(1).ascii("v")),
                        ErrorCode.MALFORMED_FRAME, "metadata key length"),
                bad("metadata value running past the end", frame(HEADERS, 0, 1, Raw.payload().u16(1).u8(1).ascii("k").u16(5).ascii("v")),
                        ErrorCode.MALFORMED_FRAME, "metadata value", "needs 5 bytes"),
                bad("unknown call shape", frame(CALL, 0, 1, Raw.payload().u8(5).str16("a/b").u16(0)),
                        ErrorCode.MALFORMED_FRAME, "shape 5"),
                bad("call shape 255", frame(CALL, 0, 1, Raw.payload().u8(255).str16("a/b").u16(0)),
                        ErrorCode.MALFORMED_FRAME, "shape 255"),
                bad("CALL with DEADLINE but a short timeout", frame(CALL, 1, 1, Raw.payload().u8(0).u32(1)),
                        ErrorCode.MALFORMED_FRAME, "timeout", "needs 8 bytes"),
                bad("unknown overflow policy", frame(SUBSCRIBE, 0, 1, Raw.payload().str16("a").str16("").u8(4)
                                .u32(1).u32(1).u32(0).u32(1)),
                        ErrorCode.MALFORMED_FRAME, "SUBSCRIBE", "policy 4"),
                bad("SUBSCRIBE without its bounds", frame(SUBSCRIBE, 0, 1, Raw.payload().str16("a").str16("").u8(0).u32(1)),
                        ErrorCode.MALFORMED_FRAME, "max bytes"),
                bad("gap reason 0", frame(GAP, 0, 1, gap(1, 2, 0)), ErrorCode.MALFORMED_FRAME, "GAP", "reason 0"),
                bad("gap reason 7", frame(GAP, 0, 1, gap(1, 2, 7)), ErrorCode.MALFORMED_FRAME, "reason 7"),
                bad("gap first above last", frame(GAP, 0, 1, gap(7, 5, 1)), ErrorCode.MALFORMED_FRAME, "7..5"),
                bad("gap first above last, unsigned", frame(GAP, 0, 1, gap(-1, 5, 1)),
                        ErrorCode.MALFORMED_FRAME, "18446744073709551615..5"),
                bad("CREDIT of 0", frame(CREDIT, 0, 0, Raw.payload().u32(0)),
                        ErrorCode.PROTOCOL_ERROR, "increment 0"),
                bad("CREDIT of 2^31", frame(CREDIT, 0, 3, Raw.payload().u32(0x8000_0000)),
                        ErrorCode.PROTOCOL_ERROR, "2147483648"),
                bad("CREDIT of 2^32-1", frame(CREDIT, 1, 3, Raw.payload().u32(-1)),
                        ErrorCode.PROTOCOL_ERROR, "4294967295"),
                bad("subscription CREDIT on stream 0", frame(CREDIT, 1, 0, Raw.payload().u32(5)),
                        ErrorCode.PROTOCOL_ERROR, "CREDIT", "stream 0"),
                bad("publish CREDIT on a stream", frame(CREDIT, 2, 3, Raw.payload().u32(5)),
                        ErrorCode.PROTOCOL_ERROR, "CREDIT", "stream 0, got 3"),
                bad("CREDIT with both SUBSCRIPTION and PUBLISH", frame(CREDIT, 3, 0, Raw.payload().u32(5)),
                        ErrorCode.PROTOCOL_ERROR, "both flags"),
                bad("an empty MESSAGE continuation", frame(MESSAGE, 0, 3, Raw.payload()),
                        ErrorCode.PROTOCOL_ERROR, "empty MESSAGE continuation", "stream 3"),
                bad("PUBLISH asking for an ack without an ack id", frame(PUBLISH, 1, 0, Raw.payload().str16("a").u16(0).u16(0)),
                        ErrorCode.PROTOCOL_ERROR, "ACK_REQUESTED"),
                bad("PUBLISH with an ack id but no ACK_REQUESTED", frame(PUBLISH, 0, 9, Raw.payload().str16("a").u16(0).u16(0)),
                        ErrorCode.PROTOCOL_ERROR, "ack id 9", "ACK_REQUESTED"),
                bad("first MESSAGE fragment larger than its message",
                        frame(MESSAGE, 1, 3, Raw.payload().u32(2).ascii("abc")),
                        ErrorCode.PROTOCOL_ERROR, "stream 3", "announces 2 bytes", "holds 3"),
                bad("message length of 2^31", frame(MESSAGE, 1, 3, Raw.payload().u32(0x8000_0000).ascii("a")),
                        ErrorCode.MALFORMED_FRAME, "2147483648"),
                bad("message length of 2^32-1", frame(MESSAGE, 1, 3, Raw.payload().u32(-1)),
                        ErrorCode.MALFORMED_FRAME, "4294967295"),
                bad("first MESSAGE fragment too short for its length", frame(MESSAGE, 1, 3, Raw.payload().u16(0)),
                        ErrorCode.MALFORMED_FRAME, "length 8", "4-byte"));
    }

    static Stream<Arguments> wrongStreams() {
        Metadata md = Metadata.builder().put("k", "v").build();
        List<Frame> connectionFrames = List.of(new Frame.Ping(1), new Frame.Pong(1),
                new Frame.GoAway(1, ErrorCode.NO_ERROR, "bye"), new Frame.Error(ErrorCode.INTERNAL_ERROR, "oops"));
        List<Frame> streamFrames = List.of(
                new Frame.Call(1, MethodType.UNARY, 5, "a/b", md),
                new Frame.Headers(1, md),
                Frame.Message.whole(1, new byte[] {1}),
                new Frame.Message(1, -1, new byte[] {1}, 0, 1),
                new Frame.HalfClose(1),
                new Frame.Status(1, StatusCode.OK, "", md),
                new Frame.Cancel(1, StatusCode.CANCELLED, ""),
                new Frame.Subscribe(1, "a", "", OverflowPolicy.BLOCK, 1, 1, 1, 1),
                new Frame.Unsubscribe(1),
                new Frame.Deliver(1, false, 1, "a", "", md, new byte[0]),
                new Frame.Gap(1, 1, 1, GapReason.BLOCK_TIMEOUT),
                new Frame.Ack(1, StatusCode.OK, ""),
                new Frame.SubscriptionEnd(1, StatusCode.OK, ""));
        List<Arguments> out = new ArrayList<>();
        for (Frame f : connectionFrames) {
            out.add(bad(f.type() + " on stream 5", withStreamId(f, 5), ErrorCode.PROTOCOL_ERROR,
                    f.type().name(), "stream 0", "got 5"));
            out.add(bad(f.type() + " with only the reserved bit set is on stream 0", withStreamId(f, 0x8000_0005),
                    ErrorCode.PROTOCOL_ERROR, "got 5"));
        }
        for (Frame f : streamFrames) {
            out.add(bad(f.type() + " on stream 0", withStreamId(f, 0), ErrorCode.PROTOCOL_ERROR,
                    f.type().name(), "must not be on stream 0"));
            out.add(bad(f.type() + " on stream 2^31 (the reserved bit only)", withStreamId(f, 0x8000_0000),
                    ErrorCode.PROTOCOL_ERROR, f.type().name(), "stream 0"));
        }
        return out.stream();
    }

    static byte[] withStreamId(Frame f, int streamId) {
        byte[] b = FrameEncoder.encode(f);
        ByteBuffer.wrap(b).putInt(FrameLayout.STREAM_ID_OFFSET, streamId);
        return b;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource({"malformedPayloads", "wrongStreams"})
    void aFrameThatBreaksARuleIsRejectedWithItsCode(String name, byte[] frame, ErrorCode code, List<String> words) {
        for (Feeding feeding : Feeding.values()) {
            assertDecodeFails(feeding, established(), frame, code, words.toArray(String[]::new));
            assertDecodeFails(feeding, connectionAfterHello(), frame, code, words.toArray(String[]::new));
        }
    }

    @ParameterizedTest
    @EnumSource(Feeding.class)
    void aFirstFragmentLargerThanItsMessageFailsBeforeItsPayloadArrives(Feeding feeding) {
        byte[] bytes = frame(MESSAGE, 1, 3, Raw.payload().u32(10).bytes(new byte[100]));
        assertFailsAtByte(feeding, HostileInputTest::established, bytes, 14, ErrorCode.PROTOCOL_ERROR, "10", "100");
    }

    @ParameterizedTest
    @EnumSource(Feeding.class)
    void aGapBeyondTheSignedRangeIsDecodedOrRejectedAsMalformed(Feeding feeding) {
        byte[] bytes = frame(GAP, 0, 2, gap(1, Long.MIN_VALUE, GapReason.DROPPED_NEWEST.code()));
        List<Frame> got;
        try {
            got = feeding.feed(established(), bytes, 1);
        } catch (ProtocolException e) {
            assertEquals(ErrorCode.MALFORMED_FRAME, e.code(), e::toString);
            return;
        }
        assertEquals(1, got.size());
        Frame.Gap gap = (Frame.Gap) got.get(0);
        assertEquals(1, gap.firstSequence());
        assertEquals(Long.MIN_VALUE, gap.lastSequence());
    }

    // --- what is tolerated ---

    @ParameterizedTest
    @EnumSource(Feeding.class)
    void undefinedFlagBitsAndTheReservedStreamBitAreIgnored(Feeding feeding) {
        byte[] bytes = Raw.payload()
                .bytes(frame(0x13, 0xFF, 0x8000_0001, Raw.payload()))
                .bytes(frame(0x02, 0xFF, 0x8000_0000, Raw.payload().u64(42)))
                .bytes(frame(CALL, 0xFE, 3, Raw.payload().u8(3).str16("a/b").u16(0)))
                .bytes(frame(CALL, 0xFF, 5, Raw.payload().u8(0).u64(1000).str16("a/b").u16(0)))
                .bytes(frame(MESSAGE, 0xFE, 3, Raw.payload().ascii("xy")))
                .toArray();
        List<Frame> expected = List.of(new Frame.HalfClose(1), new Frame.Ping(42),
                new Frame.Call(3, MethodType.BIDI_STREAMING, -1, "a/b", Metadata.EMPTY),
                new Frame.Call(5, MethodType.UNARY, 1000, "a/b", Metadata.EMPTY),
                new Frame.Message(3, -1, "xy".getBytes(StandardCharsets.US_ASCII), 0, 2));

        assertEquals(expected, feeding.feed(established(), bytes, 1));
    }

    @ParameterizedTest
    @EnumSource(Feeding.class)
    void unknownCodesReadAsTheirDocumentedFallbacks(Feeding feeding) {
        byte[] bytes = Raw.payload()
                .bytes(frame(0x05, 0, 0, Raw.payload().u16(0xBEEF).str16("?")))
                .bytes(frame(0x14, 0, 1, Raw.payload().u8(17).str16("").u16(0)))
                .bytes(frame(CALL, 1, 1, Raw.payload().u8(0).u64(-1).str16("a/b").u16(0)))
                .toArray();
        List<Frame> expected = List.of(new Frame.Error(ErrorCode.INTERNAL_ERROR, "?"),
                new Frame.Status(1, StatusCode.UNKNOWN, "", Metadata.EMPTY),
                new Frame.Call(1, MethodType.UNARY, Long.MAX_VALUE, "a/b", Metadata.EMPTY));

        assertEquals(expected, feeding.feed(established(), bytes, 1));
    }

    // --- after a failure ---

    @ParameterizedTest
    @EnumSource(Feeding.class)
    void aFailedDecoderRefusesFurtherInput(Feeding feeding) {
        byte[] ping = FrameEncoder.encode(new Frame.Ping(1));
        FrameDecoder decoder = established();
        assertDecodeFails(feeding, decoder, frame(0x7F, 0, 0, Raw.payload()), ErrorCode.UNKNOWN_FRAME_TYPE);

        assertThrows(IllegalStateException.class, () -> feeding.feed(decoder, ping, 1));
        assertThrows(IllegalStateException.class, () -> decoder.decode(ByteBuffer.wrap(ping), f -> fail("decoded " + f)));
        assertDoesNotThrow(decoder::endOfInput);
    }

    @Test
    void aDecoderFailedByTruncationRefusesFurtherInput() {
        FrameDecoder decoder = established();
        decoder.decode(ByteBuffer.wrap(new byte[] {0, 0}), f -> { });
        assertProtocolError(ErrorCode.TRUNCATED_FRAME, decoder::endOfInput);

        assertThrows(IllegalStateException.class, () -> decoder.decode(ByteBuffer.wrap(new byte[] {0, 6}), f -> { }));
    }

    @Test
    void framesBeforeTheViolationAreDeliveredAndNothingAfterIt() {
        byte[] ping = FrameEncoder.encode(new Frame.Ping(1));
        byte[] bytes = Raw.payload().bytes(ping).bytes(frame(0x7F, 0, 0, Raw.payload())).bytes(ping).toArray();
        List<Frame> got = new ArrayList<>();
        ByteBuffer in = ByteBuffer.wrap(bytes);

        assertProtocolError(ErrorCode.UNKNOWN_FRAME_TYPE, () -> established().decode(in, got::add), "at byte 18");
        assertEquals(List.of(new Frame.Ping(1)), got);
    }

    // --- anything at all ---

    @Test
    void mutatedFramesFailOnlyWithProtocolExceptions() {
        List<Frame> frames = FrameDecoderTest.everyKindOfFrame().stream()
                .filter(f -> FrameEncoder.encodedLength(f) < 2000).toList();
        Random random = new Random(11);
        for (int round = 0; round < 20_000; round++) {
            Frame frame = frames.get(random.nextInt(frames.size()));
            byte[] bytes = FrameEncoder.encode(frame);
            int flips = 1 + random.nextInt(3);
            for (int i = 0; i < flips; i++) {
                int at = random.nextInt(bytes.length);
                bytes[at] = random.nextInt(4) == 0 ? (byte) random.nextInt() : (byte) (bytes[at] ^ (1 << random.nextInt(8)));
            }
            FrameDecoder decoder = frame instanceof Frame.Hello ? connection() : established();
            try {
                decoder.decode(ByteBuffer.wrap(bytes), f -> { });
                decoder.endOfInput();
            } catch (ProtocolException expected) {
                // the only acceptable failure
            } catch (RuntimeException e) {
                fail("round " + round + ": " + frame.type() + " mutated to " + HexFormat.of().formatHex(bytes)
                        + " threw " + e, e);
            }
        }
    }
}
