package io.framewire.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framewire.protocol.Frame;
import io.framewire.protocol.FrameEncoder;
import io.framewire.protocol.FrameLayout;
import io.framewire.protocol.Metadata;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link SendQueue}'s accounting: a frame sized when queued is taken at that size, in order; a message
 * is counted with its length prefix and what holding it costs until its last fragment has gone.
 */
@Timeout(30)
class SendQueueTest {

    private static Frame.Publish publish(int i) {
        // Sizes that differ frame by frame, so a size taken for the wrong frame shows.
        return new Frame.Publish(0, "t." + "x".repeat(i % 7), i % 3 == 0 ? "" : "r" + i, Metadata.EMPTY, new byte[i * 5]);
    }

    /** Takes what the queue lets go now; checks each frame went out at its encoded size. */
    private static List<Frame> take(SendQueue q, int quantum) {
        List<Frame> batch = new ArrayList<>();
        long moved = q.pollInto(batch, quantum, FrameLayout.MAX_FRAGMENT_PAYLOAD, new long[] {Long.MAX_VALUE});
        assertEquals(batch.stream().mapToLong(FrameEncoder::encodedLength).sum(), moved, "bytes moved");
        return batch;
    }

    @Test
    void framesQueuedWithTheirSizesGoOutInOrderAndLeaveNothingCounted() {
        SendQueue q = new SendQueue(Long.MAX_VALUE / 4, true);
        List<Frame> queued = new ArrayList<>();
        List<Frame> sent = new ArrayList<>();
        int next = 0;
        // Queue and take in uneven steps, so the sizes' ring wraps and grows while it holds frames.
        for (int round = 0; round < 20; round++) {
            for (int k = 0; k < 3 + round % 11; k++, next++) {
                Frame.Publish p = publish(next);
                if (next % 2 == 0) {
                    q.addFrame(p, FrameEncoder.encodedLength(p));
                } else {
                    q.addFrame(p);
                }
                queued.add(p);
            }
            long expectedQueued = queued.subList(sent.size(), queued.size()).stream()
                    .mapToLong(FrameEncoder::encodedLength).sum();
            assertEquals(expectedQueued, q.queuedBytes, "queued bytes before round " + round);
            sent.addAll(take(q, 1 + round * 40)); // a quantum that lets a few frames go each turn
        }
        while (!q.isEmpty()) {
            sent.addAll(take(q, Integer.MAX_VALUE));
        }
        assertEquals(queued, sent);
        assertEquals(0, q.queuedBytes);
    }

    @Test
    void clearForgetsTheSizesOfWhatItDropped() {
        SendQueue q = new SendQueue(Long.MAX_VALUE / 4, true);
        for (int i = 0; i < 13; i++) {
            q.addFrame(publish(i));
        }
        long dropped = q.clear();
        assertTrue(dropped > 0);
        assertEquals(0, q.queuedBytes);
        Frame.Publish after = publish(40);
        q.addFrame(after);
        assertEquals(List.of(after), take(q, Integer.MAX_VALUE));
        assertEquals(0, q.queuedBytes);
    }

    @Test
    void aMessageIsCountedWithWhatHoldingItCostsUntilItsLastFragmentHasGone() {
        // Credit for the empty message's prefix, the other's and 6 of its 12 bytes: it goes in two fragments.
        SendQueue q = new SendQueue(2 * FrameLayout.MESSAGE_LENGTH_PREFIX + 6);
        q.streamId = 1;
        int perMessage = FrameLayout.MESSAGE_LENGTH_PREFIX + SendQueue.QUEUED_MESSAGE_OVERHEAD;
        q.addMessage(new byte[0]);
        q.addMessage(new byte[12]);
        assertEquals(2L * perMessage + 12, q.queuedBytes, "an empty message costs as much to hold as any other");

        List<Frame> first = take(q, Integer.MAX_VALUE);
        assertEquals(2, first.size(), "the empty message, then the first fragment of the other");
        assertEquals(SendQueue.QUEUED_MESSAGE_OVERHEAD + 6, q.queuedBytes, "the unfinished message keeps its overhead");

        q.window += 6;
        assertEquals(1, take(q, Integer.MAX_VALUE).size());
        assertEquals(0, q.queuedBytes);

        q.addMessage(new byte[3]);
        assertEquals(perMessage + 3, q.clear(), "clear gives back all it counted");
        assertEquals(0, q.queuedBytes);
    }
}
