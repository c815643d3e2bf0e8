package io.framewire.benchmarks;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Concurrency by blocking callers: N virtual threads, each making one blocking call after another on
 * a shared client, so N calls are in flight at any time (as a service built on virtual threads would
 * use a client).
 */
final class BlockingCallers {
    private BlockingCallers() {}

    static long sustain(EchoClient client, byte[] payload, int callers, long deadlineNanos) throws Exception {
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Long>> counts = new ArrayList<>(callers);
            for (int i = 0; i < callers; i++) {
                counts.add(threads.submit(() -> callUntil(client, payload, deadlineNanos)));
            }
            long total = 0;
            for (Future<Long> count : counts) {
                total += join(count);
            }
            return total;
        }
    }

    private static long callUntil(EchoClient client, byte[] payload, long deadlineNanos) throws Exception {
        long calls = 0;
        while (System.nanoTime() - deadlineNanos < 0) {
            Payload.check(payload, client.echo(payload));
            calls++;
        }
        return calls;
    }

    private static long join(Future<Long> count) throws Exception {
        try {
            return count.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }
}
