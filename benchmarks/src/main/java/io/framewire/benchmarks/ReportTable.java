package io.framewire.benchmarks;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The closing table: every system's figures per payload, then Framewire's ratios against the floor
 * (latency, lower is better) and against gRPC (throughput, higher is better) with their targets.
 */
final class ReportTable {
    static final double LATENCY_TARGET = 2.0;    // Framewire p50 at most twice the raw floor's
    static final double THROUGHPUT_TARGET = 3.0; // Framewire at least three times gRPC's calls/s

    private final BenchOptions options;
    private final List<SystemResults> results;

    ReportTable(BenchOptions options, List<SystemResults> results) {
        this.options = options;
        this.results = results;
    }

    /** 64 -> "64 B", 4096 -> "4 KiB". */
    static String size(int bytes) {
        return bytes % 1024 == 0 ? bytes / 1024 + " KiB" : bytes + " B";
    }

    void print(PrintStream out) {
        out.printf(Locale.ROOT, "%-10s %8s %10s %10s %10s %12s %16s%n", "system", "payload", "p50 us", "p99 us",
                "p99.9 us", "lat. calls", "calls/s @" + options.outstanding());
        for (int payload : options.payloads()) {
            for (SystemResults r : results) {
                out.println(figures(r, payload));
            }
        }
        out.println();
        out.printf(Locale.ROOT, "%-34s %8s %8s %8s  %s%n", "ratio", "payload", "value", "target", "verdict");
        for (int payload : options.payloads()) {
            out.println(ratio("framewire/raw latency p50", payload, latencyRatio(payload), "<=", LATENCY_TARGET));
            out.println(ratio("framewire/grpc throughput", payload, throughputRatio(payload), ">=", THROUGHPUT_TARGET));
        }
        for (SystemResults r : results) {
            if (r.failure() != null) {
                out.println("FAILED: " + r.system() + ": " + r.failure());
            }
        }
    }

    private static String figures(SystemResults r, int payload) {
        LatencyProbe.Result lat = r.latency(payload);
        ThroughputProbe.Result tput = r.throughput(payload);
        String latency = lat == null
                ? String.format(Locale.ROOT, "%10s %10s %10s %12s", "-", "-", "-", "-")
                : String.format(Locale.ROOT, "%10.1f %10.1f %10.1f %,12d", lat.p50(), lat.p99(), lat.p999(), lat.calls());
        String throughput = tput == null ? "-" : String.format(Locale.ROOT, "%,.0f", tput.perSecond());
        String failed = r.failure() != null && (lat == null || tput == null) ? "  FAILED" : "";
        return String.format(Locale.ROOT, "%-10s %8s %s %16s%s", r.system(), size(payload), latency, throughput, failed);
    }

    private static String ratio(String name, int payload, Optional<Double> value, String comparison, double target) {
        String shown = value.map(v -> String.format(Locale.ROOT, "%.2fx", v)).orElse("n/a");
        String verdict = value.map(v -> (comparison.equals("<=") ? v <= target : v >= target) ? "met" : "MISSED")
                .orElse("not measured");
        return String.format(Locale.ROOT, "%-34s %8s %8s %8s  %s", name + (comparison.equals("<=") ? " (lower is better)" : " (higher is better)"),
                size(payload), shown, comparison + " " + (int) target + "x", verdict);
    }

    private Optional<Double> latencyRatio(int payload) {
        Optional<LatencyProbe.Result> fw = find("framewire").map(r -> r.latency(payload));
        Optional<LatencyProbe.Result> raw = find("raw").map(r -> r.latency(payload));
        return fw.isPresent() && raw.isPresent() ? Optional.of(fw.get().p50() / raw.get().p50()) : Optional.empty();
    }

    private Optional<Double> throughputRatio(int payload) {
        Optional<ThroughputProbe.Result> fw = find("framewire").map(r -> r.throughput(payload));
        Optional<ThroughputProbe.Result> grpc = find("grpc").map(r -> r.throughput(payload));
        return fw.isPresent() && grpc.isPresent()
                ? Optional.of(fw.get().perSecond() / grpc.get().perSecond()) : Optional.empty();
    }

    private Optional<SystemResults> find(String system) {
        return results.stream().filter(r -> r.system().equals(system)).findFirst();
    }
}
