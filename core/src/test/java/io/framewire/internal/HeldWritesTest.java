package io.framewire.internal;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framewire.protocol.Frame;
import io.framewire.protocol.Metadata;
import io.framewire.protocol.MethodType;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A thread's held writes: what it queues leaves in one write at release, and no hold makes anyone wait for ever. */
@Timeout(30)
class HeldWritesTest {
    private final Object scope = new Object();
    private final RecordingConnection conn = new RecordingConnection();
    private final Outbound out = new Outbound(conn, 256 * 1024, 1 << 20, MemoryBudget.UNMETERED, e -> { },
            Runnable::run, scope);

    @AfterEach
    void close() {
        HeldWrites leftover = HeldWrites.suspend();
        if (leftover != null) {
            leftover.release();
        }
        out.closeNow();
    }

    private SendQueue stream(int id) {
        SendQueue q = new SendQueue(1 << 20);
        q.streamId = id;
        return q;
    }

    /** A unary call's three frames, queued and flushed one by one as ClientSession and ClientStream do. */
    private void unaryCall(SendQueue q) {
        for (Object item : List.of(new Frame.Call(q.streamId, MethodType.UNKNOWN, -1, "a.B/C", Metadata.EMPTY),
                new byte[] {1, 2, 3}, new Frame.HalfClose(q.streamId))) {
            out.lock().lock();
            try {
                assertTrue(item instanceof Frame f ? out.enqueueLocked(q, f, null) : out.enqueueLocked(q, null, (byte[]) item));
            } finally {
                out.lock().unlock();
            }
            out.flush(true);
        }
    }

    @Test
    void withoutAHoldEachFlushIsAWrite() {
        unaryCall(stream(1));
        assertEquals(3, conn.writes.size());
    }

    @Test
    void whatAThreadQueuesWhileHoldingLeavesInOneWriteAtRelease() {
        HeldWrites hold = HeldWrites.begin(scope, false);
        assertNotNull(hold);
        unaryCall(stream(1));
        unaryCall(stream(3));
        assertEquals(0, conn.writes.size(), "nothing is written while the thread holds its writes");
        hold.release();
        assertEquals(1, conn.writes.size());
        assertSame(Thread.currentThread(), conn.writes.get(0).thread());
        assertEquals(6, conn.frames().size(), conn.frames().toString());
        hold.release(); // idempotent
        assertEquals(1, conn.writes.size());
    }

    @Test
    void aHoldOfAnotherScopeHoldsNothingHere() {
        HeldWrites hold = HeldWrites.begin(new Object(), false);
        unaryCall(stream(1));
        assertEquals(3, conn.writes.size());
        hold.release();
    }

    @Test
    void holdsDoNotNest() {
        HeldWrites first = HeldWrites.begin(scope, false);
        assertNull(HeldWrites.begin(scope, false));
        assertNull(HeldWrites.begin(new Object(), true));
        first.release();
        HeldWrites again = HeldWrites.begin(scope, false);
        assertNotNull(again, "released: the thread may hold again");
        again.release();
    }

    @Test
    void aThreadAboutToWaitWritesWhatItHoldsAndGoesOnHolding() {
        HeldWrites hold = HeldWrites.begin(scope, false);
        SendQueue q = stream(1);
        unaryCall(q);
        HeldWrites.writeHeldNow();
        assertEquals(1, conn.writes.size());
        unaryCall(stream(3));
        assertEquals(1, conn.writes.size(), "still holding");
        hold.release();
        assertEquals(2, conn.writes.size());
    }

    @Test
    void aSenderWaitingForRoomOnAConnectionItHoldsIsNotLeftWaitingForItself() throws Exception {
        SendQueue q = stream(1);
        HeldWrites hold = HeldWrites.begin(scope, false);
        out.lock().lock();
        try {
            assertTrue(out.enqueueLocked(q, null, new byte[4096]));
        } finally {
            out.lock().unlock();
        }
        out.flush(true);
        assertEquals(0, conn.writes.size());
        boolean room;
        out.lock().lock();
        try {
            // The stream is over a threshold of 1 byte until its queue is written: only a writer frees it.
            room = out.awaitRoomLocked(q, 1, System.nanoTime() + TimeUnit.SECONDS.toNanos(20));
        } finally {
            out.lock().unlock();
        }
        assertTrue(room);
        await().atMost(Duration.ofSeconds(10)).until(() -> conn.writes.size() == 1); // by a writer thread
        assertTrue(conn.writes.get(0).thread().isVirtual());
        hold.release();
    }

    @Test
    void anotherThreadsWriterCarriesHeldFramesOutEarlier() throws Exception {
        HeldWrites hold = HeldWrites.begin(scope, false);
        unaryCall(stream(1));
        assertEquals(0, conn.writes.size());
        CompletableFuture.runAsync(() -> out.sendControl(new Frame.Ping(7), true)).get(10, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(10)).until(() -> conn.frames().size() == 4);
        hold.release();
        assertEquals(4, conn.frames().size());
    }

    @Test
    void onlyTheThreadThatHoldsReleases() throws Exception {
        HeldWrites hold = HeldWrites.begin(scope, false);
        CompletableFuture<Throwable> elsewhere = CompletableFuture.supplyAsync(() ->
                assertThrows(IllegalStateException.class, hold::release));
        assertTrue(elsewhere.get(10, TimeUnit.SECONDS).getMessage().contains("thread that began it"));
        hold.release();
    }

    @Test
    void aHoldWithoutWaitingIsReleasedAtOnceWhileThePeerDoesNotReadAndAWriterThreadWritesItLater() {
        conn.tryTakes = 0; // a full socket: nothing more goes without waiting
        conn.hold();       // and a plain write waits until the peer reads
        HeldWrites hold = HeldWrites.begin(scope, true);
        unaryCall(stream(1));
        hold.release(); // returns: an event loop must never wait for the peer
        assertEquals(0, conn.writes.size());
        conn.open();
        await().atMost(Duration.ofSeconds(10)).until(() -> conn.frames().size() == 3);
        assertNotSame(Thread.currentThread(), conn.writes.get(0).thread());
    }

    @Test
    void aHoldWithoutWaitingWritesOnItsOwnThreadWhatTheConnectionTakesAtOnce() {
        conn.tryTakes = 1 << 20;
        HeldWrites hold = HeldWrites.begin(scope, true);
        unaryCall(stream(1));
        unaryCall(stream(3));
        hold.release();
        assertEquals(1, conn.writes.size(), "one write for the burst");
        assertTrue(conn.writes.get(0).tried());
        assertSame(Thread.currentThread(), conn.writes.get(0).thread());
        assertEquals(6, conn.frames().size());
    }
}
