package io.framewire.transport.tcp.hostile;

import io.framewire.CallOptions;
import io.framewire.Client;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The normal client while an attack runs: an echo call (and optionally a PING) every {@link #PERIOD},
 * each with a {@link #LIMIT} deadline, counting failures and the slowest answer. A periodic probe, not a
 * wait: nothing waits on it. The limit during an attack is looser than the one second a server has to
 * answer once the attack is over ({@link #AFTER}): it tells a wedged server (no answers at all) from one
 * that is merely sharing two loaded CPUs with its attacker, which on a busy machine can take over a second.
 */
final class NormalClientProbe implements AutoCloseable {
    static final Duration PERIOD = Duration.ofMillis(100);
    static final Duration LIMIT = Duration.ofSeconds(5);
    /** How soon the normal client must be served once the attack's connections are closed. */
    static final Duration AFTER = Duration.ofSeconds(1);

    /** What the probe saw. */
    record Stats(int calls, int failures, long maxMillis, String firstFailure) {
        boolean allServedInTime() {
            return failures == 0 && maxMillis < LIMIT.toMillis();
        }

        @Override
        public String toString() {
            return calls + " echoes, slowest " + maxMillis + " ms, " + failures + " failed"
                    + (firstFailure == null ? "" : " (first: " + firstFailure + ")");
        }
    }

    private final ExecutorService pinger = Executors.newVirtualThreadPerTaskExecutor();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "normal-client-probe");
        t.setDaemon(true);
        return t;
    });
    private final AtomicInteger calls = new AtomicInteger();
    private final AtomicInteger failures = new AtomicInteger();
    private final AtomicLong maxNanos = new AtomicLong();
    private final AtomicReference<String> firstFailure = new AtomicReference<>();

    /** @param ping whether each probe also PINGs (and waits at most {@link #LIMIT} for the PONG) */
    NormalClientProbe(Client client, boolean ping) {
        timer.scheduleAtFixedRate(() -> {
            long t0 = System.nanoTime();
            try {
                String answer = client.call(HostileServerMain.ECHO, "probe", CallOptions.DEFAULT.withTimeout(LIMIT));
                if (!answer.equals("probe")) {
                    throw new IllegalStateException("echo answered '" + answer + "'");
                }
                if (ping) {
                    CompletableFuture.supplyAsync(client::ping, pinger).get(LIMIT.toMillis(), TimeUnit.MILLISECONDS);
                }
            } catch (RuntimeException | ExecutionException | TimeoutException e) {
                failures.incrementAndGet();
                firstFailure.compareAndSet(null, e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                calls.incrementAndGet();
                maxNanos.accumulateAndGet(System.nanoTime() - t0, Math::max);
            }
        }, 0, PERIOD.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Probes made so far. */
    int calls() {
        return calls.get();
    }

    /** Stops probing (waiting for a call in progress) and tells what it saw. */
    Stats stop() throws InterruptedException {
        timer.shutdown();
        timer.awaitTermination(5, TimeUnit.SECONDS);
        pinger.shutdownNow();
        return new Stats(calls.get(), failures.get(), TimeUnit.NANOSECONDS.toMillis(maxNanos.get()), firstFailure.get());
    }

    @Override
    public void close() {
        timer.shutdownNow();
        pinger.shutdownNow();
    }
}
