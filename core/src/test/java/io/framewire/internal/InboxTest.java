package io.framewire.internal;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.framewire.Status;
import io.framewire.StatusException;
import io.framewire.protocol.StatusCode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The inbox's batches: deferred wake-ups, the puller's private buffer, pushed batches, and settling in each. */
@Timeout(30)
class InboxTest {
    private final List<Integer> settled = Collections.synchronizedList(new ArrayList<>());
    /** Each settleAll call's size, to see settling in batches. */
    private final List<Integer> settleCalls = Collections.synchronizedList(new ArrayList<>());
    private final Inbox<Integer> inbox = new Inbox<>(new Inbox.Settler<>() {
        @Override
        public void settle(Integer item) {
            settleAll(List.of(item));
        }

        @Override
        public void settleAll(List<Integer> items) {
            settleCalls.add(items.size());
            settled.addAll(items);
        }
    });
    private static List<Integer> range(int from, int to) {
        List<Integer> l = new ArrayList<>();
        for (int i = from; i < to; i++) {
            l.add(i);
        }
        return l;
    }

    @Test
    void pulledItemsComeInOrderAndAreSettledOnlyOnceHandedOut() throws Exception {
        for (int i = 0; i < 10; i++) {
            inbox.add(i);
        }
        assertEquals(0, inbox.next());
        assertEquals(List.of(), settled, "nine of the batch are still in the inbox, the first not settled yet");
        for (int i = 1; i < 10; i++) {
            assertEquals(i, inbox.next());
        }
        assertEquals(range(0, 10), settled);
        assertEquals(List.of(10), settleCalls, "one settling for the batch");
    }

    @Test
    void aLongRunIsTakenAndSettledInBatches() throws Exception {
        int n = 3 * Inbox.BATCH + 5;
        for (int i = 0; i < n; i++) {
            inbox.add(i);
        }
        for (int i = 0; i < n; i++) {
            assertEquals(i, inbox.next());
            int expected = i == n - 1 ? n : (i + 1) / Inbox.BATCH * Inbox.BATCH;
            assertEquals(expected, settled.size(), "settled after " + (i + 1) + " handed out");
        }
        assertEquals(range(0, n), settled);
        assertEquals(List.of(Inbox.BATCH, Inbox.BATCH, Inbox.BATCH, 5), settleCalls);
    }

    @Test
    void aDroppingAbortDropsWhatThePullerTookButHadNotHandedOut() throws Exception {
        for (int i = 0; i < 5; i++) {
            inbox.add(i);
        }
        assertEquals(0, inbox.next());
        inbox.add(5);
        inbox.abort(Status.of(StatusCode.CANCELLED, "gone"), false);
        StatusException e = assertThrows(StatusException.class, inbox::next);
        assertEquals(StatusCode.CANCELLED, e.status().code());
        settled.sort(null);
        assertEquals(range(0, 6), settled, "every item settled once: handed out, taken or queued");
    }

    @Test
    void anAbortAfterTheQueuedItemsComesAfterThePullersBuffer() throws Exception {
        for (int i = 0; i < 3; i++) {
            inbox.add(i);
        }
        assertEquals(0, inbox.next());
        inbox.abort(Status.of(StatusCode.INTERNAL, "after"), true);
        assertEquals(1, inbox.next());
        assertEquals(2, inbox.next());
        assertThrows(StatusException.class, inbox::next);
        assertEquals(range(0, 3), settled);
    }

    @Test
    void aFinishComesAfterEveryItem() throws Exception {
        inbox.add(1);
        inbox.add(2);
        inbox.finish();
        assertEquals(1, inbox.next());
        assertEquals(2, inbox.next());
        assertNull(inbox.next());
        assertNull(inbox.next(System.nanoTime()));
    }

    /** A puller blocked in next(), started on a thread of its own; the test waits until it waits. */
    private CompletableFuture<Integer> waitingPuller() {
        CompletableFuture<Integer> pulled = new CompletableFuture<>();
        Thread t = Thread.ofPlatform().daemon().start(() -> {
            try {
                pulled.complete(inbox.next());
            } catch (Exception | Error e) {
                pulled.completeExceptionally(e);
            }
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> t.getState() == Thread.State.WAITING);
        return pulled;
    }

    @Test
    void aReadersDeferredAddWakesAWaitingPullerOnlyAtItsFlush() throws Exception {
        Wakeups wakeups = new Wakeups();
        CompletableFuture<Integer> pulled = waitingPuller();
        inbox.add(42, wakeups);
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(5)).until(() -> !pulled.isDone());
        wakeups.flush();
        assertEquals(42, pulled.get(5, TimeUnit.SECONDS));
    }

    @Test
    void aReaderFlushesByItselfEveryBatch() throws Exception {
        Wakeups wakeups = new Wakeups();
        CompletableFuture<Integer> pulled = waitingPuller();
        for (int i = 0; i < Inbox.BATCH - 1; i++) {
            inbox.add(i, wakeups);
        }
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(5)).until(() -> !pulled.isDone());
        inbox.add(Inbox.BATCH - 1, wakeups);
        assertEquals(0, pulled.get(5, TimeUnit.SECONDS), "the batch's last add flushed without the reader's end of read");
    }

    @Test
    void aPullerThatIsNotWaitingTakesDeferredItemsAtOnce() throws Exception {
        Wakeups wakeups = new Wakeups();
        inbox.add(1, wakeups);
        assertEquals(1, inbox.next(System.nanoTime()), "queued is queued, woken or not");
    }

    @Test
    void pushedItemsArriveInOrderInBatchesAndAFailingListenerCostsNoOtherItem() {
        List<Integer> heard = Collections.synchronizedList(new ArrayList<>());
        CompletableFuture<Status> ended = new CompletableFuture<>();
        SerialExecutor serial = new SerialExecutor(Executors.newVirtualThreadPerTaskExecutor());
        inbox.push(new Inbox.Sink<>() {
            @Override
            public void onMessage(Integer m) {
                heard.add(m);
                if (m == 3) {
                    throw new IllegalStateException("listener bug at 3");
                }
            }

            @Override
            public void onFinish() {
                ended.complete(Status.OK);
            }

            @Override
            public void onAbort(Status status) {
                ended.complete(status);
            }
        }, serial, true);
        Wakeups wakeups = new Wakeups();
        int n = 2 * Inbox.BATCH + 7;
        for (int i = 0; i < n; i++) {
            inbox.add(i, wakeups);
        }
        wakeups.flush();
        inbox.finish();
        await().atMost(Duration.ofSeconds(5)).until(ended::isDone);
        assertEquals(range(0, n), heard);
        settled.sort(null);
        assertEquals(range(0, n), settled, "each settled once, the failed one too");
    }

    @Test
    void pushedItemsNeverExceedTheDemand() {
        List<Integer> heard = Collections.synchronizedList(new ArrayList<>());
        SerialExecutor serial = new SerialExecutor(Runnable::run);
        inbox.push(new Inbox.Sink<>() {
            @Override
            public void onMessage(Integer m) {
                heard.add(m);
            }

            @Override
            public void onFinish() {
            }

            @Override
            public void onAbort(Status status) {
            }
        }, serial, false);
        for (int i = 0; i < 100; i++) {
            inbox.add(i);
        }
        assertEquals(List.of(), heard);
        inbox.request(70);
        assertEquals(range(0, 70), heard);
        inbox.request(5);
        assertEquals(range(0, 75), heard);
        assertEquals(range(0, 75), settled);
    }
}
