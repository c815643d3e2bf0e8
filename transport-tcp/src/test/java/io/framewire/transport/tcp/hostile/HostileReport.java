package io.framewire.transport.tcp.hostile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * The suite's table: one row per attack with its outcome and the server's figures, filled in by the
 * test as it goes and marked PASS or FAIL when it ends. Printed to stdout and written to
 * {@code target/hostile-report.txt} after the last test.
 */
final class HostileReport implements TestWatcher, AfterAllCallback {
    private static final double MIB = 1024.0 * 1024.0;

    /** One attack's figures; what was not measured (a test that failed early) stays -1. */
    static final class Row {
        final String attack;
        volatile String outcome = "";
        volatile String result = "?";
        volatile long heapBefore = -1;
        volatile long heapPeak = -1;
        volatile long heapAfter = -1;
        volatile long memoryBefore = -1;
        volatile long memoryPeak = -1;
        volatile long memoryAfter = -1;
        volatile long serveAfterMillis = -1;
        volatile String during = "";

        Row(String attack) {
            this.attack = attack;
        }

        /** Adds to the outcome column. */
        void note(String s) {
            outcome = outcome.isEmpty() ? s : outcome + "; " + s;
        }
    }

    private final ConcurrentMap<String, Row> rows = new ConcurrentHashMap<>();
    private final List<String> order = new ArrayList<>();

    synchronized Row row(String attack) {
        return rows.computeIfAbsent(attack, a -> {
            order.add(a);
            return new Row(a);
        });
    }

    @Override
    public void testSuccessful(ExtensionContext context) {
        mark(context, "PASS");
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        String why = String.valueOf(cause.getMessage()).lines().findFirst().orElse("");
        mark(context, "FAIL");
        row(context.getRequiredTestMethod().getName()).note("FAILED: " + (why.length() > 300 ? why.substring(0, 300) + "..." : why));
    }

    @Override
    public void testAborted(ExtensionContext context, Throwable cause) {
        mark(context, "SKIP");
    }

    @Override
    public void testDisabled(ExtensionContext context, Optional<String> reason) {
        mark(context, "SKIP");
    }

    private void mark(ExtensionContext context, String result) {
        row(context.getRequiredTestMethod().getName()).result = result;
    }

    @Override
    public synchronized void afterAll(ExtensionContext context) throws IOException {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%nHostile-peer suite: server in its own JVM with %s; heap = used heap after full GCs "
                + "(peak = the most the attack made it hold, at any full GC); memoryInUse = Server.memoryInUse()%n", ServerProcess.HEAP));
        sb.append(String.format("%-44s %-4s %8s %8s %8s %8s %8s %8s %8s  %s%n", "attack", "res", "heap0", "heapPk",
                "heap1", "mem0", "memPk", "mem1", "serve1", "outcome / normal client during the attack"));
        for (String a : order) {
            Row r = rows.get(a);
            sb.append(String.format("%-44s %-4s %8s %8s %8s %8s %8s %8s %8s  %s%n", a, r.result, mib(r.heapBefore),
                    mib(r.heapPeak), mib(r.heapAfter), mib(r.memoryBefore), mib(r.memoryPeak), mib(r.memoryAfter),
                    r.serveAfterMillis < 0 ? "-" : r.serveAfterMillis + "ms", r.outcome
                            + (r.during.isEmpty() ? "" : " | during: " + r.during)));
        }
        sb.append("(sizes in MiB; serve1 = time for the normal client's echo right after the attack ended)\n");
        System.out.print(sb);
        Path out = Path.of("target", "hostile-report.txt");
        Files.createDirectories(out.getParent());
        Files.writeString(out, sb.toString());
    }

    private static String mib(long bytes) {
        return bytes < 0 ? "-" : String.format("%.1f", bytes / MIB);
    }
}
