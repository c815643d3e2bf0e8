package io.framewire.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The hex vectors of PROTOCOL.md section 8, read from the document itself, asserted both ways: each
 * frame encodes to exactly its bytes, and the bytes decode (whole, one byte at a time, in random
 * splits) to exactly the frame.
 */
class FrameVectorsTest {

    static final Map<String, Frame> FRAMES = new LinkedHashMap<>();

    static {
        Metadata kv = Metadata.builder().put("k", "v").build();
        FRAMES.put("hello-client-defaults", Handshake.clientHello(Settings.defaults()));
        FRAMES.put("hello-server-custom", Handshake.serverHello(1, Settings.builder()
                .set(Setting.MAX_FRAME_SIZE, 65_536).set(Setting.HEARTBEAT_INTERVAL, 5_000).build()));
        FRAMES.put("ping", new Frame.Ping(0x0102030405060708L));
        FRAMES.put("pong", new Frame.Pong(0x0102030405060708L));
        FRAMES.put("goaway", new Frame.GoAway(7, ErrorCode.NO_ERROR, "bye"));
        FRAMES.put("error-bad-magic", new Frame.Error(ErrorCode.BAD_MAGIC, "bad"));
        FRAMES.put("error-overloaded", new Frame.Error(ErrorCode.OVERLOADED, "too many one"));
        FRAMES.put("credit-connection", new Frame.Credit(0, false, 65_536));
        FRAMES.put("credit-subscription", new Frame.Credit(3, true, 100));
        FRAMES.put("credit-publish", Frame.Credit.publish(65_536));
        FRAMES.put("call-unary-deadline", new Frame.Call(1, MethodType.UNARY, 1_000_000_000L, "echo.Echo/Say", kv));
        FRAMES.put("call-bidi", new Frame.Call(3, MethodType.BIDI_STREAMING, -1, "chat.Chat/Talk", Metadata.EMPTY));
        FRAMES.put("headers-binary", new Frame.Headers(1, Metadata.builder().putBinary("t-bin", new byte[] {1, 2}).build()));
        FRAMES.put("message-whole", Frame.Message.whole(1, "hi".getBytes(StandardCharsets.US_ASCII)));
        FRAMES.put("message-empty", Frame.Message.whole(1, new byte[0]));
        FRAMES.put("message-first-fragment", new Frame.Message(5, 10, "abc".getBytes(StandardCharsets.US_ASCII), 0, 3));
        FRAMES.put("message-continuation", new Frame.Message(5, -1, "defghij".getBytes(StandardCharsets.US_ASCII), 0, 7));
        FRAMES.put("half-close", new Frame.HalfClose(1));
        FRAMES.put("status-ok", new Frame.Status(1, StatusCode.OK, "", Metadata.EMPTY));
        FRAMES.put("status-not-found-trailers", new Frame.Status(1, StatusCode.NOT_FOUND, "no key", kv));
        FRAMES.put("cancel", new Frame.Cancel(3, StatusCode.CANCELLED, "user"));
        FRAMES.put("subscribe", new Frame.Subscribe(2, "a.*", "g", OverflowPolicy.DROP_OLDEST, 1000, 65_536, 0, 64));
        FRAMES.put("unsubscribe", new Frame.Unsubscribe(2));
        FRAMES.put("publish-ack", new Frame.Publish(9, "a.b", "", Metadata.EMPTY, new byte[] {(byte) 0xff}));
        FRAMES.put("deliver", new Frame.Deliver(2, false, 1, "a.b", "r.1", Metadata.EMPTY, new byte[] {(byte) 0xff}));
        FRAMES.put("deliver-no-responders", new Frame.Deliver(4, true, 1, "r.1", "", Metadata.EMPTY, new byte[0]));
        FRAMES.put("gap", new Frame.Gap(2, 5, 7, GapReason.DROPPED_OLDEST));
        FRAMES.put("gap-too-large", new Frame.Gap(2, 9, 9, GapReason.TOO_LARGE));
        FRAMES.put("ack-failed", new Frame.Ack(9, StatusCode.RESOURCE_EXHAUSTED, "full"));
        FRAMES.put("subscription-end", new Frame.SubscriptionEnd(2, StatusCode.INVALID_ARGUMENT, "bad pattern"));
    }

    /** Prints the vectors section for PROTOCOL.md; run when a frame layout changes, then review the diff. */
    public static void main(String[] args) {
        FRAMES.forEach((name, frame) -> System.out.println(name + "  " + render(FrameEncoder.encode(frame))));
    }

    static String render(byte[] b) {
        HexFormat h = HexFormat.of();
        String all = h.formatHex(b);
        return all.substring(0, 8) + " " + all.substring(8, 10) + " " + all.substring(10, 12) + " "
                + all.substring(12, 20) + (b.length > 10 ? " " + all.substring(20) : "");
    }

    static Map<String, byte[]> documentVectors() throws IOException {
        Path doc = Path.of("..", "PROTOCOL.md");
        List<String> lines = Files.readAllLines(doc);
        int begin = lines.indexOf("VECTORS-BEGIN");
        int end = lines.indexOf("VECTORS-END");
        assertTrue(begin >= 0 && end > begin, "PROTOCOL.md must hold a VECTORS-BEGIN ... VECTORS-END block");
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (String line : lines.subList(begin + 1, end)) {
            if (line.isBlank() || line.startsWith("```")) {
                continue;
            }
            String[] parts = line.trim().split("\\s+", 2);
            out.put(parts[0], HexFormat.of().parseHex(parts[1].replace(" ", "")));
        }
        return out;
    }

    static Stream<Arguments> vectors() throws IOException {
        Map<String, byte[]> doc = documentVectors();
        return doc.entrySet().stream().map(e -> Arguments.of(e.getKey(), e.getValue()));
    }

    @Test
    void documentHoldsEveryVectorAndAtLeastTen() throws IOException {
        Map<String, byte[]> doc = documentVectors();
        assertEquals(FRAMES.keySet(), doc.keySet());
        assertTrue(doc.size() >= 10);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void encodesToTheDocumentedBytes(String name, byte[] bytes) {
        assertArrayEquals(bytes, FrameEncoder.encode(FRAMES.get(name)), name);
        assertEquals(bytes.length, FrameEncoder.encodedLength(FRAMES.get(name)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void decodesFromTheDocumentedBytesHoweverSplit(String name, byte[] bytes) {
        Frame expected = FRAMES.get(name);
        for (Feeding feeding : Feeding.values()) {
            FrameDecoder decoder = expected instanceof Frame.Hello
                    ? FrameDecoder.forConnection(1 << 20) : FrameDecoder.afterHandshake(1 << 20);
            List<Frame> got = feeding.feed(decoder, bytes, 42);
            assertEquals(List.of(expected), got, name + " fed " + feeding);
        }
    }
}
