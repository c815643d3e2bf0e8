package io.framewire.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The CPU time a process has used so far, user and system, all its threads, read from outside it: the
 * fan-out scenario charges each phase's processes for the messages they delivered. CPU time barely
 * depends on how fast a shared VM happens to be, so it says more than a rate does.
 *
 * <p>{@link ProcessHandle.Info#totalCpuDuration()} where the JDK has it; otherwise, on Linux, utime +
 * stime of {@code /proc/<pid>/stat}, in clock ticks ({@code getconf CLK_TCK}), which is what the JDK
 * reads there too. Either way the resolution is one clock tick (10 ms at 100 ticks a second).
 */
final class ProcessCpu {
    private static final Path SELF_STAT = Path.of("/proc/self/stat");
    /** utime and stime, counted from the field after the command's closing parenthesis (the state, field 3). */
    private static final int UTIME = 11;
    private static final int STIME = 12;

    private enum Source { JDK, PROC_STAT, NONE }

    private static final Source SOURCE = ProcessHandle.current().info().totalCpuDuration().isPresent() ? Source.JDK
            : Files.isReadable(SELF_STAT) ? Source.PROC_STAT : Source.NONE;
    /** Only read for {@link Source#PROC_STAT}. */
    private static final long TICK_NANOS = SOURCE == Source.PROC_STAT ? TimeUnit.SECONDS.toNanos(1) / clockTicks() : 0;

    private ProcessCpu() {}

    /** Whether a process's CPU time can be read here at all. */
    static boolean available() {
        return SOURCE != Source.NONE;
    }

    /** Where the figures come from, for the report's header. */
    static String source() {
        return switch (SOURCE) {
            case JDK -> "ProcessHandle.Info.totalCpuDuration() (user + system, every thread)";
            case PROC_STAT -> "utime + stime of /proc/<pid>/stat at " + TimeUnit.SECONDS.toNanos(1) / TICK_NANOS
                    + " ticks a second (the JDK's totalCpuDuration() is absent here)";
            case NONE -> "not available on this platform";
        };
    }

    /** The CPU time {@code process} has used so far in nanoseconds, or -1 if it cannot be read (or it has ended). */
    static long nanos(ProcessHandle process) {
        return switch (SOURCE) {
            case JDK -> process.info().totalCpuDuration().map(Duration::toNanos).orElse(-1L);
            case PROC_STAT -> {
                long ticks = procStatTicks(Path.of("/proc", String.valueOf(process.pid()), "stat"));
                yield ticks < 0 ? -1 : ticks * TICK_NANOS;
            }
            case NONE -> -1;
        };
    }

    /** utime + stime in clock ticks, or -1 if the file cannot be read. */
    private static long procStatTicks(Path stat) {
        try {
            String line = Files.readString(stat, StandardCharsets.US_ASCII);
            // The command (field 2) is in parentheses and may hold spaces: count from its last ')'.
            String[] fields = line.substring(line.lastIndexOf(')') + 2).trim().split(" ");
            return Long.parseLong(fields[UTIME]) + Long.parseLong(fields[STIME]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** {@code getconf CLK_TCK}, or 100 (Linux's USER_HZ nearly everywhere) if it cannot be run. */
    private static long clockTicks() {
        try {
            Process getconf = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out = new String(getconf.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            return getconf.waitFor() == 0 ? Long.parseLong(out) : 100;
        } catch (IOException | RuntimeException e) {
            return 100;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 100;
        }
    }
}
