package io.framewire.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The seed inputs of {@link FrameDecoderFuzzTest}: valid HELLOs, every PROTOCOL.md section 8 vector
 * after a HELLO, truncated frames, lengths of 2 and 4 GiB, and garbage, each with the split and maximum
 * frame length it is fed with. This test checks that the committed files are what this class makes, so
 * a change to the fuzz test's input layout cannot leave them meaning something else. To rewrite them:
 * <pre>
 * ./mvnw -B -q -pl protocol -am test -Dtest=FrameDecoderFuzzSeedsTest -Dsurefire.failIfNoSpecifiedTests=false -Dfuzz.writeSeeds=true
 * </pre>
 * Findings kept as regression inputs live in the same directory but are not made here.
 */
@Timeout(30)
class FrameDecoderFuzzSeedsTest {
    static final Path DIR = Path.of("src/test/resources/io/framewire/protocol/FrameDecoderFuzzTestInputs/decodesOrRefusesAnySplit");

    @Test
    void committedSeedsAreUpToDate() throws IOException {
        boolean write = Boolean.getBoolean("fuzz.writeSeeds");
        if (write) {
            Files.createDirectories(DIR);
        }
        for (Map.Entry<String, byte[]> seed : seeds().entrySet()) {
            Path file = DIR.resolve(seed.getKey());
            if (write) {
                Files.write(file, seed.getValue());
            } else {
                assertTrue(Files.exists(file), file + " is missing; rewrite the seeds (see this class's Javadoc)");
                assertArrayEquals(seed.getValue(), Files.readAllBytes(file), file + " is stale; rewrite the seeds");
            }
        }
    }

    static Map<String, byte[]> seeds() throws IOException {
        Map<String, byte[]> doc = FrameVectorsTest.documentVectors();
        byte[] hello = doc.get("hello-client-defaults");
        int defaultMax = Settings.defaults().maxFrameSize();
        Map<String, byte[]> seeds = new LinkedHashMap<>();

        seeds.put("hello", input(false, defaultMax, whole(), hello));
        seeds.put("hello-then-ping-byte-at-a-time", input(false, defaultMax, byteAtATime(), concat(hello, doc.get("ping"))));
        // Each vector after a HELLO, fed three ways in turn.
        int i = 0;
        List<byte[]> afterHello = new ArrayList<>();
        for (Map.Entry<String, byte[]> v : doc.entrySet()) {
            if (v.getKey().startsWith("hello-")) {
                continue;
            }
            afterHello.add(v.getValue());
            byte[] wire = concat(hello, v.getValue());
            Split split = switch (i++ % 3) {
                case 0 -> whole();
                case 1 -> byteAtATime();
                default -> cuts(7, hello.length + 4, hello.length + 5);
            };
            seeds.put("after-hello-" + v.getKey(), input(false, defaultMax, split, wire));
        }
        byte[] everyVector = concat(afterHello.toArray(byte[][]::new));
        seeds.put("every-vector-after-handshake", input(true, Setting.MAX_FRAME_SIZE.min(), cuts(3, 50, 51, 200), everyVector));
        seeds.put("server-hello-custom", input(false, Setting.MAX_FRAME_SIZE.max(), whole(), doc.get("hello-server-custom")));

        // Truncated: the peer closes mid-frame.
        seeds.put("truncated-hello", input(false, defaultMax, whole(), slice(hello, 0, 10)));
        byte[] call = doc.get("call-unary-deadline");
        seeds.put("truncated-call", input(false, defaultMax, cuts(hello.length), concat(hello, slice(call, 0, call.length - 5))));
        seeds.put("truncated-header", input(false, defaultMax, byteAtATime(), concat(hello, slice(doc.get("message-whole"), 0, 7))));
        seeds.put("truncated-message-fragments", input(false, defaultMax, cuts(hello.length + 13),
                concat(hello, doc.get("message-first-fragment"), slice(doc.get("message-continuation"), 0, 12))));

        // Lengths a decoder must refuse before allocating.
        seeds.put("length-2gib-message", input(false, Setting.MAX_FRAME_SIZE.max(), whole(),
                concat(hello, header(Integer.MAX_VALUE, FrameType.MESSAGE.code(), FrameLayout.FLAG_FIRST, 1))));
        seeds.put("length-4gib", input(false, defaultMax, byteAtATime(), concat(hello, header(0xFFFF_FFFF, FrameType.PING.code(), 0, 0))));
        seeds.put("hello-length-2gib", input(false, defaultMax, whole(),
                ByteBuffer.allocate(FrameLayout.HELLO_PREFIX_LENGTH).putInt(Integer.MAX_VALUE).put((byte) 1).put((byte) 0)
                        .putInt(0).putInt(FrameLayout.MAGIC).array()));
        int smallest = Setting.MAX_FRAME_SIZE.min();
        seeds.put("length-one-above-maximum", input(true, smallest, whole(), header(smallest + 1, 0xF3, 0, 0)));
        seeds.put("length-at-maximum-truncated", input(true, smallest, cuts(4, 10), concat(header(smallest, 0xF3, 0, 0), new byte[100])));
        seeds.put("message-declaring-16mib", input(true, Setting.MAX_FRAME_SIZE.max(), cuts(14),
                concat(header(Setting.MAX_FRAME_SIZE.max(), FrameType.MESSAGE.code(), FrameLayout.FLAG_FIRST, 1),
                        ByteBuffer.allocate(4).putInt(Integer.MAX_VALUE).array())));
        seeds.put("length-below-minimum", input(false, defaultMax, whole(), concat(hello, new byte[] {0, 0, 0, 5, 2, 0, 0, 0, 0, 0})));

        // Other protocol violations and extensions.
        seeds.put("unknown-type", input(false, defaultMax, whole(), concat(hello, header(FrameLayout.MIN_LENGTH, 0x7F, 0, 0))));
        seeds.put("second-hello", input(false, defaultMax, cuts(hello.length + 5), concat(hello, hello)));
        seeds.put("extension-frame-then-ping", input(false, defaultMax, byteAtATime(),
                concat(hello, header(FrameLayout.MIN_LENGTH + 3, 0xF3, 0, 0), new byte[] {1, 2, 3}, doc.get("ping"))));

        // Garbage: what a port scanner, a browser or a TLS client sends.
        byte[] random = new byte[64];
        new Random(7).nextBytes(random);
        seeds.put("garbage-random", input(false, defaultMax, whole(), random));
        seeds.put("garbage-http", input(false, defaultMax, cuts(3),
                "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
        seeds.put("garbage-tls-client-hello", input(false, defaultMax, whole(),
                new byte[] {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, (byte) 0xfc, 0x03, 0x03, 0x11, 0x22, 0x33, 0x44, 0x55}));
        return seeds;
    }

    /** How the wire bytes are split, as {@link FrameDecoderFuzzTest} reads it. */
    record Split(int mode, int[] cuts) {}

    static Split whole() {
        return new Split(FrameDecoderFuzzTest.SPLIT_WHOLE, new int[0]);
    }

    static Split byteAtATime() {
        return new Split(FrameDecoderFuzzTest.SPLIT_BYTE_AT_A_TIME, new int[0]);
    }

    static Split cuts(int... at) {
        return new Split(FrameDecoderFuzzTest.SPLIT_AT_CUTS, at);
    }

    /**
     * The fuzz input that makes {@link FrameDecoderFuzzTest} decode {@code wire} this way. Jazzer's
     * {@code FuzzedDataProvider} reads bytes from the front and numbers from the back, a number in as
     * many bytes as its range needs, most significant first; so the numbers are written in reverse. Each
     * number's range starts at 0 and each value is in it, so the raw bytes are the value.
     */
    static byte[] input(boolean afterHandshake, int maxFrame, Split split, byte[] wire) {
        ByteArrayOutputStream numbers = new ByteArrayOutputStream(); // in the order they are consumed
        numbers.write(afterHandshake ? 1 : 0);
        int below = Setting.MAX_FRAME_SIZE.max() - maxFrame; // 0..0xFFC000: 3 bytes
        numbers.write(below >>> 16);
        numbers.write(below >>> 8);
        numbers.write(below);
        numbers.write(split.mode());
        if (split.mode() == FrameDecoderFuzzTest.SPLIT_AT_CUTS) {
            if (split.cuts().length > FrameDecoderFuzzTest.MAX_CUTS) {
                throw new IllegalArgumentException("at most " + FrameDecoderFuzzTest.MAX_CUTS + " cuts");
            }
            numbers.write(split.cuts().length);
            for (int cut : split.cuts()) {
                numbers.write(cut >>> 8);
                numbers.write(cut);
            }
        }
        byte[] tail = numbers.toByteArray();
        byte[] out = new byte[wire.length + tail.length];
        System.arraycopy(wire, 0, out, 0, wire.length);
        for (int i = 0; i < tail.length; i++) {
            out[out.length - 1 - i] = tail[i];
        }
        return out;
    }

    static byte[] header(int length, int type, int flags, int streamId) {
        return ByteBuffer.allocate(FrameLayout.HEADER_LENGTH).putInt(length).put((byte) type).put((byte) flags)
                .putInt(streamId).array();
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    static byte[] slice(byte[] b, int from, int to) {
        return java.util.Arrays.copyOfRange(b, from, to);
    }
}
