package io.framewire.benchmarks;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs an action if a phase overruns, so a system that hangs fails the run instead of stalling it: the
 * harness's action kills the server, which makes every call waiting on it fail.
 */
final class Watchdog implements AutoCloseable {
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r ->
            Thread.ofPlatform().daemon().name("watchdog").unstarted(r));

    private final ScheduledFuture<?> task;
    private final AtomicBoolean fired = new AtomicBoolean();

    private Watchdog(Duration after, Runnable action) {
        this.task = TIMER.schedule(() -> {
            fired.set(true);
            action.run();
        }, after.toNanos(), TimeUnit.NANOSECONDS);
    }

    static Watchdog arm(Duration after, Runnable action) {
        return new Watchdog(after, action);
    }

    /** Whether the action ran. */
    boolean fired() {
        return fired.get();
    }

    @Override
    public void close() {
        task.cancel(false);
    }
}
