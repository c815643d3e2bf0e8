package io.framewire.benchmarks;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The CPU time a JVM's JIT compiler threads ({@code C1 CompilerThread*}, {@code C2 CompilerThread*})
 * have used so far, read from outside the process in {@code /proc/PID/task/TID/stat} (Linux only): a
 * phase measured while a JVM still compiles its hot paths measures the compiler as much as the code.
 * Measured on 2 CPUs (streaming, one stream, 2026-12-07): the gateway's JVM, which holds gRPC's server,
 * Framewire's client and a Framewire server, kept its compiler threads at 60 to 80% of a CPU for the
 * first 7 seconds of its first phase and settled after about 11, where grpc-direct's server settled
 * after 5; a fixed 3-second warm-up left the gateway's window sharing the machine with its compiler.
 *
 * <p>The figures are the kernel's clock ticks (user + system), at the 100 a second that Linux reports
 * to user space on every architecture the JDK runs on, so their resolution is 10 ms.
 */
final class JitCpu {
    private static final long NANOS_PER_TICK = 10_000_000;

    private JitCpu() {}

    /** The compiler threads' CPU time of process {@code pid} so far in nanoseconds, or -1 where it cannot be read. */
    static long nanos(long pid) {
        Path tasks = Path.of("/proc", Long.toString(pid), "task");
        if (!Files.isDirectory(tasks)) {
            return -1;
        }
        long ticks = 0;
        try (DirectoryStream<Path> threads = Files.newDirectoryStream(tasks)) {
            for (Path thread : threads) {
                ticks += compilerTicks(thread.resolve("stat"));
            }
        } catch (IOException | RuntimeException e) {
            return -1; // the process ended, or /proc is not what it is on Linux
        }
        return ticks * NANOS_PER_TICK;
    }

    /** utime + stime of a thread whose name is a JIT compiler's, 0 for any other thread (or one that has ended). */
    private static long compilerTicks(Path stat) {
        String line;
        try {
            line = Files.readString(stat);
        } catch (IOException e) {
            return 0; // the thread ended between the listing and the read
        }
        int open = line.indexOf('(');
        int close = line.lastIndexOf(')');
        if (open < 0 || close < open) {
            throw new IllegalStateException("unexpected " + stat + ": " + line);
        }
        String name = line.substring(open + 1, close);
        if (!name.startsWith("C1 CompilerThre") && !name.startsWith("C2 CompilerThre")) {
            return 0;
        }
        // After the name: state, ppid, pgrp, session, tty_nr, tpgid, flags, minflt, cminflt, majflt,
        // cmajflt, utime (index 11), stime (12).
        String[] fields = line.substring(close + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }
}
