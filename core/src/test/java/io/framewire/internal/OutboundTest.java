package io.framewire.internal;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framewire.protocol.Frame;
import io.framewire.protocol.FrameLayout;
import io.framewire.protocol.StatusCode;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The write side: who writes, coalescing, the byte bound, interleaving, credit. */
@Timeout(30)
class OutboundTest {
    private final RecordingConnection conn = new RecordingConnection();
    private final Outbound out = new Outbound(conn, 256 * 1024, 1 << 20, MemoryBudget.UNMETERED, e -> { }, Runnable::run);

    @AfterEach
    void close() {
        out.closeNow();
    }

    private SendQueue stream(int id, long window) {
        SendQueue q = new SendQueue(window);
        q.streamId = id;
        return q;
    }

    private void queue(SendQueue q, byte[] message, boolean mayWrite) {
        out.lock().lock();
        try {
            assertTrue(out.enqueueLocked(q, null, message));
        } finally {
            out.lock().unlock();
        }
        out.flush(mayWrite);
    }

    private boolean awaitRoom(SendQueue q, long streamThreshold, long deadlineNanos) throws InterruptedException {
        out.lock().lock();
        try {
            return out.awaitRoomLocked(q, streamThreshold, deadlineNanos);
        } finally {
            out.lock().unlock();
        }
    }

    @Test
    void anIdleConnectionIsWrittenByTheCallingThreadItself() {
        out.sendControl(new Frame.Ping(1), true);
        assertEquals(1, conn.writes.size());
        assertSame(Thread.currentThread(), conn.writes.get(0).thread());
    }

    @Test
    void onAConnectionThatAnInterruptWouldCloseOnlyTheEnginesOwnThreadsWrite() {
        RecordingConnection fragile = new RecordingConnection(false);
        Outbound o = new Outbound(fragile, 256 * 1024, 1 << 20, MemoryBudget.UNMETERED, e -> { }, Runnable::run);
        try {
            o.sendControl(new Frame.Ping(1), true);
            await().atMost(Duration.ofSeconds(10)).until(() -> fragile.writes.size() == 1);
            assertNotSame(Thread.currentThread(), fragile.writes.get(0).thread());
            assertTrue(fragile.writes.get(0).thread().isVirtual());
        } finally {
            o.closeNow();
        }
    }

    @Test
    void anInterruptedThreadThatQueuesAFrameLeavesTheConnectionOpen() {
        Thread.currentThread().interrupt();
        try {
            assertTrue(out.sendControl(new Frame.Ping(1), true));
        } finally {
            assertTrue(Thread.interrupted(), "the caller's interrupt is its own to keep");
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> conn.writes.size() == 1);
        assertNotSame(Thread.currentThread(), conn.writes.get(0).thread());
        assertFalse(out.isClosed());
        assertTrue(out.sendControl(new Frame.Ping(2), true));
    }

    @Test
    void creditOwedManyTimesGoesOutAsOneFrameAndNeedsNoRoom() {
        SendQueue q = stream(3, 1000);
        conn.hold();
        for (int i = 0; i < 100; i++) {
            out.oweStreamCredit(q, 10);
            out.oweConnectionCredit(7);
        }
        conn.open();
        await().atMost(Duration.ofSeconds(10)).until(() -> conn.frames().stream()
                .filter(f -> f instanceof Frame.Credit).mapToInt(f -> ((Frame.Credit) f).increment()).sum() == 1700);
        assertTrue(conn.frames().size() <= 4, conn.frames().toString());
    }

    @Test
    void connectionFramesAreBoundedInBytesNotInNumber() {
        Outbound small = new Outbound(new RecordingConnection(), 256 * 1024, 16 * 1024, MemoryBudget.UNMETERED, e -> { },
                Runnable::run);
        try {
            small.lock().lock(); // no writer can take frames meanwhile
            try {
                String text = "x".repeat(4000);
                int accepted = 0;
                while (accepted < 100 && small.sendControl(new Frame.Ack(1, StatusCode.NOT_FOUND, text), false)) {
                    accepted++;
                }
                assertEquals(4, accepted, "16 KiB holds four 4 KiB answers");
            } finally {
                small.lock().unlock();
            }
        } finally {
            small.closeNow();
        }
    }

    @Test
    void theFinalErrorFollowsTheAnswersAlreadyOwed() {
        conn.hold();
        out.sendControl(new Frame.Pong(1), false);
        out.sendControl(new Frame.Pong(2), false);
        out.closeAfter(5000, new Frame.Error(io.framewire.protocol.ErrorCode.ENHANCE_YOUR_CALM, "calm down"));
        conn.open();
        await().atMost(Duration.ofSeconds(10)).until(out::isClosed);
        assertEquals(List.of(new Frame.Pong(1), new Frame.Pong(2),
                new Frame.Error(io.framewire.protocol.ErrorCode.ENHANCE_YOUR_CALM, "calm down")), conn.frames());
    }

    @Test
    void aThreadThatMustNotBlockHandsTheWriteToAnother() {
        out.sendControl(new Frame.Ping(1), false);
        await().atMost(Duration.ofSeconds(10)).until(() -> conn.writes.size() == 1);
        assertNotSame(Thread.currentThread(), conn.writes.get(0).thread());
    }

    @Test
    void framesQueuedDuringAWriteGoOutTogetherInOneWrite() throws Exception {
        conn.hold();
        CompletableFuture<Void> first = CompletableFuture.runAsync(() -> out.sendControl(new Frame.Ping(0), true));
        assertTrue(conn.writeStarted.await(10, TimeUnit.SECONDS));
        for (int i = 1; i <= 100; i++) {
            assertTrue(out.sendControl(new Frame.Ping(i), true)); // returns at once: a write is in progress
        }
        conn.open();
        first.get(10, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(10)).until(() -> conn.frames().size() == 101);
        assertEquals(2, conn.writes.size(), "the first frame, then the other hundred in one write");
        List<Frame> frames = conn.frames();
        for (int i = 0; i <= 100; i++) {
            assertEquals(new Frame.Ping(i), frames.get(i));
        }
    }

    @Test
    void theQueueIsBoundedInBytes() throws Exception {
        conn.hold();
        SendQueue q = stream(1, Integer.MAX_VALUE);
        out.peerSettings(Integer.MAX_VALUE, 1 << 20, 1 << 20);
        CompletableFuture.runAsync(() -> queue(q, new byte[1000], true));
        assertTrue(conn.writeStarted.await(10, TimeUnit.SECONDS));
        queue(q, new byte[300 * 1024], true); // now above the 256 KiB bound
        long soon = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
        assertFalse(awaitRoom(q, Long.MAX_VALUE, soon), "a sender must wait while the queue is full");
        assertFalse(out.isReady(q, Long.MAX_VALUE));
        conn.open();
        assertTrue(awaitRoom(q, Long.MAX_VALUE, System.nanoTime() + TimeUnit.SECONDS.toNanos(10)));
    }

    @Test
    void theBoundHoldsAfterManyMessagesHaveGoneOut() {
        SendQueue q = stream(1, Integer.MAX_VALUE);
        out.peerSettings(Integer.MAX_VALUE, 1 << 20, 1 << 20);
        for (int i = 0; i < 100_000; i++) {
            queue(q, new byte[8], true);
        }
        assertEquals(0, out.queuedBytes(), "everything written leaves the account exactly");
        out.lock().lock();
        try {
            assertTrue(out.enqueueLocked(q, null, new byte[300 * 1024])); // queued, not yet flushed
        } finally {
            out.lock().unlock();
        }
        assertFalse(out.isReady(q, Long.MAX_VALUE), "the 256 KiB bound is still 256 KiB");
        out.flush(true);
        await().atMost(Duration.ofSeconds(10)).until(() -> out.queuedBytes() == 0);
    }

    @Test
    void aSmallMessageIsNotHeldBehindALargeOne() throws Exception {
        conn.hold();
        out.peerSettings(Integer.MAX_VALUE, 1 << 20, 1 << 20);
        // Occupy the writer so both messages are queued before the next batch is made.
        CompletableFuture.runAsync(() -> out.sendControl(new Frame.Ping(0), true));
        assertTrue(conn.writeStarted.await(10, TimeUnit.SECONDS));
        SendQueue large = stream(1, Integer.MAX_VALUE);
        SendQueue small = stream(3, Integer.MAX_VALUE);
        queue(large, new byte[4 << 20], true);
        queue(small, new byte[10], true);
        conn.open();
        await().atMost(Duration.ofSeconds(10)).until(() -> conn.frames().size() >= 4);
        List<Frame> frames = conn.frames();
        assertEquals(new Frame.Ping(0), frames.get(0));
        assertEquals(1, frames.get(1).streamId());
        assertTrue(((Frame.Message) frames.get(1)).length() <= FrameLayout.MAX_FRAGMENT_PAYLOAD);
        assertEquals(3, frames.get(2).streamId(), "the small message goes right after one fragment of the large one");
    }

    @Test
    void aMessageWaitsForCreditAndGoesWhenItArrives() {
        out.peerSettings(Integer.MAX_VALUE, 1 << 20, 1 << 20);
        SendQueue q = stream(1, 104);
        queue(q, new byte[300], true);
        assertEquals(List.of(100), fragmentLengths()); // 4 bytes of length prefix + 100 bytes
        assertTrue(out.addStreamCredit(q, 150));
        await().atMost(Duration.ofSeconds(10)).until(() -> fragmentLengths().equals(List.of(100, 150)));
        assertTrue(out.addStreamCredit(q, 1000));
        await().atMost(Duration.ofSeconds(10)).until(() -> fragmentLengths().equals(List.of(100, 150, 50)));
    }

    @Test
    void connectionCreditLimitsAllStreamsTogether() {
        out.peerSettings(200, 1 << 20, 1 << 20);
        SendQueue a = stream(1, Integer.MAX_VALUE);
        SendQueue b = stream(3, Integer.MAX_VALUE);
        queue(a, new byte[150], true);
        queue(b, new byte[150], true);
        int sent = fragmentLengths().stream().mapToInt(Integer::intValue).sum();
        assertTrue(sent <= 200 - 8, "sent " + sent + " data bytes on a 200-byte connection window");
        assertTrue(out.addConnectionCredit(1000));
        await().atMost(Duration.ofSeconds(10)).until(() -> fragmentLengths().stream().mapToInt(Integer::intValue).sum() == 300);
    }

    @Test
    void creditOverflowingTheWindowIsRefused() {
        SendQueue q = stream(1, Integer.MAX_VALUE - 10);
        assertFalse(out.addStreamCredit(q, 11));
        assertTrue(out.addStreamCredit(q, 10));
    }

    @Test
    void finishDropsWhatIsUnsentAndSendsTheFinalFrame() {
        conn.hold();
        out.peerSettings(Integer.MAX_VALUE, 1 << 20, 1 << 20);
        SendQueue q = stream(1, 10); // too little credit: the message stays queued
        q.opened = true;
        queue(q, new byte[1000], false);
        out.finish(q, new Frame.Cancel(1, StatusCode.CANCELLED, "stop"), false);
        conn.open();
        await().atMost(Duration.ofSeconds(10)).until(() -> conn.frames().stream().anyMatch(f -> f instanceof Frame.Cancel));
        assertTrue(conn.frames().stream().filter(f -> f instanceof Frame.Message)
                .allMatch(f -> ((Frame.Message) f).length() <= 10));
        out.lock().lock();
        try {
            assertFalse(out.enqueueLocked(q, null, new byte[1]), "a finished stream accepts nothing more");
        } finally {
            out.lock().unlock();
        }
    }

    @Test
    void aStreamThatNeverReachedTheWireSendsNothingWhenCancelled() {
        conn.hold();
        SendQueue q = stream(1, 1000);
        out.lock().lock();
        try {
            out.enqueueLocked(q, new Frame.HalfClose(1), null);
        } finally {
            out.lock().unlock();
        }
        out.finish(q, new Frame.Cancel(1, StatusCode.CANCELLED, "never mind"), false);
        out.sendControl(new Frame.Ping(9), false);
        conn.open();
        await().atMost(Duration.ofSeconds(10)).until(() -> !conn.frames().isEmpty());
        assertEquals(List.of(new Frame.Ping(9)), conn.frames());
    }

    @Test
    void closeAfterWritesTheLastFrameThenCloses() {
        out.sendControl(new Frame.Ping(1), true);
        out.closeAfter(5000, new Frame.Error(io.framewire.protocol.ErrorCode.PROTOCOL_ERROR, "bye"));
        await().atMost(Duration.ofSeconds(10)).until(out::isClosed);
        assertEquals(new Frame.Error(io.framewire.protocol.ErrorCode.PROTOCOL_ERROR, "bye"), conn.frames().get(1));
        assertFalse(out.sendControl(new Frame.Ping(2), true));
    }

    // --- the reader's own writes ---

    @Test
    void theReaderWritesWhatItQueuedDuringOneReadItselfInOneWrite() {
        conn.tryTakes = 1 << 20;
        out.readerHold();
        out.sendControl(new Frame.Pong(1), false);
        out.sendControl(new Frame.Pong(2), false);
        assertTrue(conn.writes.isEmpty(), "held until the read is handled");
        out.readerFlush();
        assertEquals(1, conn.writes.size());
        assertTrue(conn.writes.get(0).tried());
        assertSame(Thread.currentThread(), conn.writes.get(0).thread());
        assertEquals(List.of(new Frame.Pong(1), new Frame.Pong(2)), conn.frames());
    }

    @Test
    void whatTheTransportDoesNotTakeWithoutWaitingAWriterThreadWrites() {
        conn.tryTakes = 5;
        SendQueue q = stream(3, 1 << 20);
        byte[] body = new byte[1000];
        java.util.Arrays.fill(body, (byte) 7);
        out.readerHold();
        queue(q, body, false);
        out.sendControl(new Frame.Pong(9), false);
        out.readerFlush();
        await().atMost(Duration.ofSeconds(10)).until(() -> conn.frames().size() == 2);
        assertEquals(5, conn.writes.get(0).bytes().length);
        assertSame(Thread.currentThread(), conn.writes.get(0).thread());
        assertTrue(conn.writes.stream().skip(1).noneMatch(w -> w.tried() || w.thread() == Thread.currentThread()));
        Frame.Message m = (Frame.Message) conn.frames().stream().filter(f -> f instanceof Frame.Message).findFirst().orElseThrow();
        assertEquals(1000, m.length());
        assertTrue(conn.frames().contains(new Frame.Pong(9)));
    }

    @Test
    void aTransportThatCannotWriteWithoutWaitingGetsTheReadersFramesFromAWriterThread() {
        conn.tryLimit = 0;
        out.readerHold();
        out.sendControl(new Frame.Pong(1), false);
        out.readerFlush();
        await().atMost(Duration.ofSeconds(10)).until(() -> conn.frames().size() == 1);
        assertNotSame(Thread.currentThread(), conn.writes.get(0).thread());
        assertFalse(conn.writes.get(0).tried());
        assertEquals(0, conn.tries.get(), "never offered a try it cannot take");
    }

    @Test
    void aBatchLargerThanTheTransportTakesWithoutWaitingIsNotTried() {
        conn.tryTakes = 1 << 20;
        conn.tryLimit = 512;
        SendQueue q = stream(3, 1 << 20);
        out.readerHold();
        queue(q, new byte[1000], false);
        out.readerFlush();
        await().atMost(Duration.ofSeconds(10)).until(() -> conn.frames().size() == 1);
        assertEquals(0, conn.tries.get());
        assertNotSame(Thread.currentThread(), conn.writes.get(0).thread());
    }

    @Test
    void aReaderNeverWritesToAnotherConnection() {
        RecordingConnection otherConn = new RecordingConnection();
        otherConn.tryTakes = 1 << 20;
        Outbound other = new Outbound(otherConn, 256 * 1024, 1 << 20, MemoryBudget.UNMETERED, e -> { }, Runnable::run);
        try {
            out.readerHold(); // this thread is out's reader, not other's: it must not wait on other's peer
            other.sendControl(new Frame.Pong(1), false);
            out.readerFlush();
            await().atMost(Duration.ofSeconds(10)).until(() -> otherConn.writes.size() == 1);
            assertNotSame(Thread.currentThread(), otherConn.writes.get(0).thread());
            assertFalse(otherConn.writes.get(0).tried());
        } finally {
            other.closeNow();
        }
    }

    @Test
    void whileTheReaderHoldsAnotherThreadsWriteTakesTheReadersFramesAlong() {
        conn.tryTakes = 1 << 20;
        out.readerHold();
        out.sendControl(new Frame.Pong(1), false);
        CompletableFuture.runAsync(() -> out.sendControl(new Frame.Ping(2), true),
                r -> Thread.ofPlatform().start(r)).join();
        assertEquals(List.of(new Frame.Pong(1), new Frame.Ping(2)), conn.frames(), "nothing waits for the reader");
        out.readerFlush();
        assertEquals(2, conn.frames().size());
    }

    @Test
    void theReadersFinalErrorStillGoesOutWhenTheTransportTakesPartOfIt() {
        conn.tryTakes = 3;
        out.readerHold();
        out.sendControl(new Frame.Pong(1), false);
        out.closeAfter(5000, new Frame.Error(io.framewire.protocol.ErrorCode.PROTOCOL_ERROR, "bad"));
        out.readerFlush();
        await().atMost(Duration.ofSeconds(10)).until(out::isClosed);
        assertEquals(List.of(new Frame.Pong(1), new Frame.Error(io.framewire.protocol.ErrorCode.PROTOCOL_ERROR, "bad")),
                conn.frames());
    }

    private List<Integer> fragmentLengths() {
        return conn.frames().stream().filter(f -> f instanceof Frame.Message).map(f -> ((Frame.Message) f).length()).toList();
    }
}
