package io.framewire.benchmarks;

import io.framewire.CallOptions;
import io.framewire.Client;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Phase 1 of the load test: a fixed number of unary echo calls, each with a 5-second deadline, made by
 * many virtual threads over all the connections (thread {@code i} on connection {@code i mod n}), as
 * fast as the server answers. Also the unary call the mix makes ({@link #call}).
 */
final class UnaryLoad {
    static final Duration DEADLINE = Duration.ofSeconds(5);
    private static final CallOptions OPTIONS = CallOptions.DEFAULT.withTimeout(DEADLINE);

    private UnaryLoad() {}

    /**
     * Makes {@code options.calls()} calls, or as many as {@code options.callsLimit()} allows, printing
     * progress every {@code progress}.
     */
    static OperationStats.Result run(List<Client> clients, LoadOptions options, Duration progress)
            throws InterruptedException {
        OperationStats stats = new OperationStats("unary call");
        AtomicLong claimed = new AtomicLong();
        long start = System.nanoTime();
        long end = start + options.callsLimit().toNanos();
        try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < options.callers(); i++) {
                Client client = clients.get(i % clients.size());
                callers.submit(() -> {
                    byte[] payload = Payload.of(options.payload());
                    while (System.nanoTime() - end < 0 && claimed.getAndIncrement() < options.calls()) {
                        call(client, payload, stats);
                    }
                });
            }
            callers.shutdown();
            while (!callers.awaitTermination(progress.toNanos(), TimeUnit.NANOSECONDS)) {
                System.out.printf(Locale.ROOT, "  phase 1 %4d s: %s%n", TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start),
                        stats.progress());
            }
        }
        return stats.result(System.nanoTime() - start);
    }

    /** One echo call of {@code payload}, counted in {@code stats}; the echo must be the payload, byte for byte. */
    static void call(Client client, byte[] payload, OperationStats stats) {
        long start = System.nanoTime();
        try {
            byte[] echo = client.call(FramewireEcho.ECHO, payload, OPTIONS);
            long nanos = System.nanoTime() - start;
            if (Arrays.equals(payload, echo)) {
                stats.ok(nanos);
            } else {
                stats.error("WRONG_REPLY", "an echo of " + echo.length + " bytes differs from the " + payload.length + " sent");
            }
        } catch (RuntimeException e) {
            stats.failed(e);
        }
    }
}
