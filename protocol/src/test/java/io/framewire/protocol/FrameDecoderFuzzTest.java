package io.framewire.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Timeout;

/**
 * Coverage-guided fuzzing of {@link FrameDecoder}: any bytes, split anywhere, under any legal maximum
 * frame length. The only acceptable outcomes are frames and a {@link ProtocolException} with a code and
 * a message; anything else thrown (or an error) is a finding, and so is a frame that does not survive
 * a round trip through {@link FrameEncoder}, or an outcome that depends on how the bytes were split.
 *
 * <p>Under plain {@code mvn test} this runs the inputs in
 * {@code src/test/resources/io/framewire/protocol/FrameDecoderFuzzTestInputs/<method>/} (regression
 * mode); {@link FrameDecoderFuzzSeedsTest} writes and checks them. To fuzz:
 * <pre>
 * JAZZER_FUZZ=1 ./mvnw -B -pl protocol -am test -Dtest=FrameDecoderFuzzTest#decodesOrRefusesAnySplit \
 *     -Dsurefire.failIfNoSpecifiedTests=false [-Djazzer.max_duration=30m]
 * </pre>
 * JAZZER_FUZZ activates the {@code fuzzing} Maven profile, which turns off JUnit's timeout for the
 * run; the {@link Timeout} below then bounds each input. Findings are written as {@code crash-*} files
 * into the inputs directory (git ignores them): move them out before the next plain build, or it will
 * run them.
 *
 * <p>Input layout, as {@link FuzzedDataProvider} reads it (numbers from the end, bytes from the front):
 * a byte choosing {@code forConnection} or {@code afterHandshake}, three bytes counting the maximum frame
 * length down from 16777216 (to 16384), a byte choosing how to split (whole, one byte at a time, or at the cut points that
 * follow: a count byte and two bytes per cut), and then the wire bytes, which are the rest.
 *
 * <p>Memory: after every chunk the decoder holds ({@link FrameDecoder#heldBytes()}) at most twice what
 * it has been fed plus its smallest growth step, whatever lengths the bytes declare.
 */
class FrameDecoderFuzzTest {

    static final int SPLIT_WHOLE = 0;
    static final int SPLIT_BYTE_AT_A_TIME = 1;
    static final int SPLIT_AT_CUTS = 2;
    static final int MAX_CUTS = 15;

    @FuzzTest(maxDuration = "10m")
    @Timeout(30)
    void decodesOrRefusesAnySplit(FuzzedDataProvider data) {
        boolean afterHandshake = data.consumeBoolean();
        // Counted down from the top: Jazzer 0.30's consumeInt(min, max) returns a raw value that lies in
        // [min, max] as it is, so with min above 0 the top of a 3-byte range would be out of reach.
        int maxFrame = Setting.MAX_FRAME_SIZE.max() - data.consumeInt(0, Setting.MAX_FRAME_SIZE.max() - Setting.MAX_FRAME_SIZE.min());
        int split = data.consumeInt(SPLIT_WHOLE, SPLIT_AT_CUTS);
        int[] cuts = new int[0];
        if (split == SPLIT_AT_CUTS) {
            cuts = new int[data.consumeInt(0, MAX_CUTS)];
            for (int i = 0; i < cuts.length; i++) {
                cuts[i] = data.consumeInt(0, 0xFFFF);
            }
        }
        byte[] wire = data.consumeRemainingAsBytes();

        Outcome got = decode(wire, chunks(wire.length, split, cuts), afterHandshake, maxFrame);
        if (split != SPLIT_WHOLE) {
            Outcome whole = decode(wire, new int[] {0, wire.length}, afterHandshake, maxFrame);
            assertEquals(whole.frames, got.frames, "frames depend on how the input was split");
            assertEquals(whole.error, got.error, "the error depends on how the input was split");
        }
    }

    /** What decoding produced: the frames, then the error the decoder stopped with (or null). */
    record Outcome(List<Frame> frames, String error) {}

    /** Chunk boundaries {@code [0, ..., length]}, ascending; equal neighbours are empty chunks. */
    static int[] chunks(int length, int split, int[] cuts) {
        return switch (split) {
            case SPLIT_WHOLE -> new int[] {0, length};
            case SPLIT_BYTE_AT_A_TIME -> {
                int[] b = new int[length + 1];
                Arrays.setAll(b, i -> i);
                yield b;
            }
            default -> {
                int[] b = new int[cuts.length + 2];
                for (int i = 0; i < cuts.length; i++) {
                    b[i + 1] = cuts[i] % (length + 1);
                }
                b[b.length - 1] = length;
                Arrays.sort(b, 1, b.length - 1);
                yield b;
            }
        };
    }

    private static Outcome decode(byte[] wire, int[] bounds, boolean afterHandshake, int maxFrame) {
        FrameDecoder decoder = afterHandshake ? FrameDecoder.afterHandshake(maxFrame) : FrameDecoder.forConnection(maxFrame);
        List<Frame> frames = new ArrayList<>();
        // Each frame's encoding as it was handed out: a frame must not change afterwards (for example
        // because it shares an array the decoder goes on to reuse).
        List<byte[]> encodedOnArrival = new ArrayList<>();
        FrameDecoder.FrameHandler handler = frame -> {
            assertNotNull(frame);
            checkOrder(frame, frames.isEmpty(), afterHandshake);
            frames.add(frame);
            encodedOnArrival.add(FrameEncoder.encode(frame));
        };
        String error = null;
        try {
            for (int i = 0; i + 1 < bounds.length; i++) {
                // A buffer whose position is not 0, so the decoder must honour it.
                decoder.decode(ByteBuffer.wrap(wire, bounds[i], bounds[i + 1] - bounds[i]), handler);
                long fed = bounds[i + 1];
                assertTrue(decoder.heldBytes() <= FrameDecoder.MIN_GROWN_BYTES + 2 * fed,
                        "the decoder holds " + decoder.heldBytes() + " bytes after being fed " + fed);
            }
            boolean boundary = decoder.atFrameBoundary();
            try {
                decoder.endOfInput();
                assertTrue(boundary, "endOfInput() accepted a stream that ended inside a frame");
            } catch (ProtocolException e) {
                assertFalse(boundary, "endOfInput() refused a stream that ended at a frame boundary: " + e);
                assertEquals(ErrorCode.TRUNCATED_FRAME, e.code(), e.getMessage());
                error = describe(e);
            }
        } catch (ProtocolException e) {
            error = describe(e);
            decoder.endOfInput(); // a failed decoder has nothing more to say
        }
        for (int i = 0; i < frames.size(); i++) {
            Frame frame = frames.get(i);
            assertArrayEquals(encodedOnArrival.get(i), FrameEncoder.encode(frame), () -> frame + " changed after it was decoded");
            checkRoundTrip(frame, encodedOnArrival.get(i), maxFrame);
        }
        return new Outcome(frames, error);
    }

    private static void checkOrder(Frame frame, boolean first, boolean afterHandshake) {
        boolean hello = frame instanceof Frame.Hello;
        if (afterHandshake) {
            assertFalse(hello, "a HELLO after the handshake");
        } else if (first) {
            // PROTOCOL.md section 2: the peer's first frame is its HELLO, or an ERROR that refuses the connection.
            assertTrue(hello || frame instanceof Frame.Error, () -> "first frame is neither a HELLO nor an ERROR: " + frame);
        } else {
            assertFalse(hello, () -> "a second HELLO: " + frame);
        }
    }

    /** A clear code and a message someone debugging the peer can act on. */
    private static String describe(ProtocolException e) {
        assertNotNull(e.code(), "ProtocolException without a code");
        String message = e.getMessage();
        assertTrue(message != null && !message.isBlank(), () -> "ProtocolException " + e.code() + " without a message");
        return e.code() + ": " + message;
    }

    /** The frame re-encodes to bytes that decode to an equal frame, and fits the limit it arrived under. */
    private static void checkRoundTrip(Frame frame, byte[] encoded, int maxFrame) {
        assertEquals(FrameEncoder.encodedLength(frame), encoded.length, () -> "encodedLength of " + frame);
        boolean hello = frame instanceof Frame.Hello;
        if (!hello) {
            // Re-encoding never grows a frame (it only drops undefined flags and truncates long texts).
            assertTrue(encoded.length - FrameLayout.LENGTH_LENGTH <= maxFrame,
                    () -> frame + " re-encodes to " + encoded.length + " bytes, above the maximum frame length " + maxFrame);
        }
        FrameDecoder again = hello ? FrameDecoder.forConnection(Integer.MAX_VALUE) : FrameDecoder.afterHandshake(Integer.MAX_VALUE);
        List<Frame> decoded = new ArrayList<>();
        try {
            again.decode(ByteBuffer.wrap(encoded), decoded::add);
        } catch (ProtocolException e) {
            fail(frame + " re-encodes to bytes its own decoder refuses: " + e, e);
        }
        assertTrue(again.atFrameBoundary(), () -> frame + " re-encodes to a partial frame");
        assertEquals(List.of(frame), decoded, "round trip through FrameEncoder");
        assertEquals(frame.hashCode(), decoded.get(0).hashCode(), () -> "hashCode of equal frames " + frame);
    }
}
