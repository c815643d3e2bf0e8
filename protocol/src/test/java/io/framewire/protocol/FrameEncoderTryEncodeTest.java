package io.framewire.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link FrameEncoder#tryEncode}: the same bytes as {@link FrameEncoder#encode}, or nothing written. */
class FrameEncoderTryEncodeTest {

    private static List<Frame> frames() {
        List<Frame> all = new ArrayList<>(FrameDecoderTest.everyKindOfFrame());
        // Strings the one-pass ASCII path must hand back to the exact path at every position.
        all.add(new Frame.Deliver(7, false, 42, "ascii.then.é", "", Metadata.EMPTY, new byte[] {1, 2}));
        all.add(new Frame.Deliver(7, false, 43, "é.first", "reply.ü", Metadata.EMPTY, new byte[0]));
        all.add(new Frame.Deliver(7, false, 44, "x".repeat(0xFFFF / 3 + 1), "", Metadata.EMPTY, new byte[0]));
        all.add(new Frame.Publish(0, "emoji.😀", "r\uD800x", Metadata.EMPTY, new byte[3]));
        all.addAll(encodedOnce(all));
        return all;
    }

    /** Each DELIVER of {@code frames} again, with its message encoded ahead, as a broker's fan-out has it. */
    private static List<Frame> encodedOnce(List<Frame> frames) {
        List<Frame> out = new ArrayList<>();
        for (Frame f : frames) {
            if (f instanceof Frame.Deliver d) {
                out.add(new Frame.Deliver(d.subscriptionId(), d.noResponders(), d.sequence(),
                        TopicMessage.encodedOnce(d.topic(), d.replyTo(), d.metadata(), d.data())));
            }
        }
        return out;
    }

    @Test
    void aMessageEncodedOnceIsWrittenAsItWouldBeEncodedPerFrame() {
        Metadata md = Metadata.builder().put("k", "v").putBinary("k-bin", new byte[] {0, 1, 2}).build();
        TopicMessage shared = TopicMessage.encodedOnce("orders.é.eu", "_INBOX.42", md, new byte[] {9, 8, 7});
        for (int sub : new int[] {1, 7, Integer.MAX_VALUE}) {
            for (boolean noResponders : new boolean[] {false, true}) {
                Frame.Deliver once = new Frame.Deliver(sub, noResponders, 1L << 40 | sub, shared);
                Frame.Deliver perFrame = new Frame.Deliver(sub, noResponders, 1L << 40 | sub,
                        "orders.é.eu", "_INBOX.42", md, new byte[] {9, 8, 7});
                assertEquals(perFrame, once);
                assertEquals(FrameEncoder.encodedLength(perFrame), FrameEncoder.encodedLength(once));
                assertArrayEquals(FrameEncoder.encode(perFrame), FrameEncoder.encode(once));
            }
        }
    }

    @Test
    void writesWhatEncodeWritesWhereverItHasRoom() {
        for (Frame f : frames()) {
            byte[] expected = FrameEncoder.encode(f);
            ByteBuffer dst = ByteBuffer.allocate(expected.length + 200_000);
            dst.position(5);
            assertTrue(FrameEncoder.tryEncode(f, dst), f.type().toString());
            assertEquals(5 + expected.length, dst.position(), f.type().toString());
            assertArrayEquals(expected, Arrays.copyOfRange(dst.array(), 5, dst.position()), f.type().toString());
        }
    }

    @Test
    void writesTheSameIntoPartOfALargerArrayAndIntoADirectBuffer() {
        for (Frame f : frames()) {
            byte[] expected = FrameEncoder.encode(f);
            byte[] backing = new byte[expected.length + 200_020];
            ByteBuffer slice = ByteBuffer.wrap(backing, 7, backing.length - 7).slice(); // array offset 7
            slice.position(5);
            assertTrue(FrameEncoder.tryEncode(f, slice), f.type().toString());
            assertEquals(5 + expected.length, slice.position(), f.type().toString());
            assertArrayEquals(expected, Arrays.copyOfRange(backing, 12, 12 + expected.length), f.type().toString());

            ByteBuffer direct = ByteBuffer.allocateDirect(expected.length + 200_000);
            direct.position(3);
            assertTrue(FrameEncoder.tryEncode(f, direct), f.type().toString());
            byte[] written = new byte[direct.position() - 3];
            direct.get(3, written);
            assertArrayEquals(expected, written, f.type().toString());
        }
    }

    @Test
    void writesNothingWhereItMightNotFit() {
        for (Frame f : frames()) {
            int length = FrameEncoder.encodedLength(f);
            ByteBuffer exact = ByteBuffer.allocate(length);
            if (FrameEncoder.tryEncode(f, exact)) {
                assertEquals(length, exact.position(), "a frame that fits exactly is written whole");
            } else {
                assertEquals(0, exact.position(), "nothing written");
            }
            ByteBuffer tooSmall = ByteBuffer.allocate(length - 1);
            assertFalse(FrameEncoder.tryEncode(f, tooSmall), f.type().toString());
            assertEquals(0, tooSmall.position(), "nothing written");
            assertArrayEquals(new byte[length - 1], tooSmall.array(), "nothing written");
        }
    }
}
