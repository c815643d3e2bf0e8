package io.framewire.benchmarks;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The client's view of one flood stream: every message checked and counted as it is consumed, and the
 * stream's end judged. Fed by the system's client (one message at a time), read by the probe.
 *
 * <p>A stream ends well when it ends with OK after exactly the messages asked for, or when it ends
 * cancelled after the probe has called {@link #stopping()}. Any other end, and any bad message, is a
 * failure, which {@link #end()} completes with.
 */
final class StreamTally {
    private final FloodRequest request;
    private final AtomicLong received = new AtomicLong();
    private final CompletableFuture<Void> end = new CompletableFuture<>();
    private volatile boolean stopping;

    StreamTally(FloodRequest request) {
        this.request = request;
    }

    FloodRequest request() {
        return request;
    }

    /**
     * Checks and counts the next message. Returns false, the failure recorded, if the message is wrong;
     * the caller then cancels the stream.
     */
    boolean accept(byte[] message) {
        long n = received.get();
        try {
            SequencedMessage.check(message, request.size(), n);
        } catch (IllegalStateException e) {
            fail(e);
            return false;
        }
        // A plain set would do for messages delivered one at a time, as both systems promise; the
        // compare-and-set makes a broken promise a failure instead of a miscount.
        if (!received.compareAndSet(n, n + 1)) {
            fail(new IllegalStateException("message " + n + " was delivered concurrently with another"));
            return false;
        }
        return true;
    }

    /** Messages accepted so far. */
    long received() {
        return received.get();
    }

    /** The probe is about to cancel the stream: a cancelled end is the expected one from now on. */
    void stopping() {
        stopping = true;
    }

    /** The server ended the stream with OK. */
    void endedOk() {
        long n = received.get();
        if (n != request.count()) {
            fail(new IllegalStateException("the stream ended with OK after " + n + " messages; "
                    + (request.count() == FloodRequest.UNBOUNDED ? "it was asked for no end" : "asked for " + request.count())));
        }
        end.complete(null);
    }

    /** The stream ended as cancelled; {@code status} as the system reports it. */
    void endedCancelled(String status) {
        if (!stopping) {
            fail(new IllegalStateException("the stream was cancelled before the harness stopped it after "
                    + received.get() + " messages: " + status));
        }
        end.complete(null);
    }

    /** The stream ended with an error; {@code status} as the system reports it. */
    void failed(String status, Throwable cause) {
        fail(new IllegalStateException("the stream failed after " + received.get() + " messages: " + status, cause));
    }

    /** Completes when the stream has ended: normally if it ended well, exceptionally with the first failure otherwise. */
    CompletableFuture<Void> end() {
        return end;
    }

    private void fail(Throwable failure) {
        end.completeExceptionally(failure);
    }
}
