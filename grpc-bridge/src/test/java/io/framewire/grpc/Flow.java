package io.framewire.grpc;

import static org.awaitility.Awaitility.await;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** Measuring a stalled stream in the flow-control tests. */
final class Flow {
    private Flow() {}

    /**
     * Waits until {@code counter} is positive and has not moved between two looks 300 ms apart (the
     * sender is blocked), and returns its value.
     */
    static long awaitStalled(AtomicLong counter) {
        long[] last = {-1};
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300)).until(() -> {
            long now = counter.get();
            boolean still = now > 0 && now == last[0];
            last[0] = now;
            return still;
        });
        return counter.get();
    }

    /** Heap in use after a full collection. */
    static long usedHeapAfterGc() {
        System.gc();
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
