package io.framewire.benchmarks;

import java.time.Duration;

/**
 * The CPU time a process has used so far, user and system, all its threads, read from outside it
 * ({@link ProcessHandle.Info#totalCpuDuration()}): the fan-out scenario charges each phase's processes
 * for the messages they delivered. CPU time barely depends on how fast a shared VM happens to be, so it
 * says more than a rate does. Its resolution is the kernel's clock tick (10 ms at 100 ticks a second).
 */
final class ProcessCpu {
    private static final boolean AVAILABLE = ProcessHandle.current().info().totalCpuDuration().isPresent();

    private ProcessCpu() {}

    /** Where the figures come from, for the report's header. */
    static String source() {
        return AVAILABLE ? "ProcessHandle.Info.totalCpuDuration() (user + system, every thread)"
                : "nowhere: this platform's JDK does not report a process's CPU time";
    }

    /** The CPU time {@code process} has used so far in nanoseconds, or -1 if it cannot be read (or it has ended). */
    static long nanos(ProcessHandle process) {
        return process.info().totalCpuDuration().map(Duration::toNanos).orElse(-1L);
    }
}
