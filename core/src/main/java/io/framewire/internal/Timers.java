package io.framewire.internal;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The one timer thread: deadlines, handshake and keepalive timeouts, grace periods. Tasks run on it
 * must be short and must not block; anything that may block hands itself to a virtual thread.
 */
public final class Timers {
    private static final ScheduledThreadPoolExecutor EXECUTOR;
    private static volatile Thread timerThread;

    static {
        EXECUTOR = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "framewire-timer");
            t.setDaemon(true);
            timerThread = t;
            return t;
        });
        // Cancelled deadline timers (the common case: calls finish in time) leave the queue at once.
        EXECUTOR.setRemoveOnCancelPolicy(true);
    }

    private Timers() {}

    /** Whether {@code t} is the timer thread, which must never block. */
    public static boolean isTimerThread(Thread t) {
        return t == timerThread;
    }

    public static ScheduledFuture<?> schedule(Runnable task, long delay, TimeUnit unit) {
        return EXECUTOR.schedule(guarded(task), delay, unit);
    }

    public static ScheduledFuture<?> scheduleAtFixedRate(Runnable task, long period, TimeUnit unit) {
        return EXECUTOR.scheduleAtFixedRate(guarded(task), period, period, unit);
    }

    /**
     * A task that never throws: an exception would end a periodic task for good, and an Error escaping
     * the executor's worker would end the timer thread. What a task throws (even an OutOfMemoryError)
     * ends that task's run only.
     */
    private static Runnable guarded(Runnable task) {
        return () -> {
            try {
                task.run();
            } catch (Throwable t) {
                Session.logSafely(System.Logger.Level.ERROR, "timer task failed", t);
            }
        };
    }
}
