package io.framewire.benchmarks;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The streaming scenario's closing table: messages per second for every variant and number of
 * streams (all streams together, and per stream: mean, slowest, fastest), then the ratio of each
 * Framewire variant to each gRPC variant.
 */
final class StreamingTable {
    private final BenchOptions options;
    private final List<StreamingResults> results;

    StreamingTable(BenchOptions options, List<StreamingResults> results) {
        this.options = options;
        this.results = results;
    }

    void print(PrintStream out) {
        out.printf(Locale.ROOT, "Streaming: %s messages server -> client, each stream counted at the client over %d s after %d s of warm-up%n",
                ReportTable.size(StreamingRunner.MESSAGE_SIZE), options.streamDuration().toSeconds(), options.streamWarmup().toSeconds());
        out.printf(Locale.ROOT, "%-17s %7s %14s %14s %12s %12s %12s%n", "variant", "streams", "msgs/s total",
                "msgs/s/stream", "slowest", "fastest", "messages");
        for (int streams : options.streams()) {
            for (StreamingResults r : results) {
                out.println(figures(r, streams));
            }
        }
        out.println();
        out.printf(Locale.ROOT, "%-42s %7s %8s%n", "ratio of msgs/s (higher is better)", "streams", "value");
        List<StreamingResults> framewire = bySystem("framewire");
        List<StreamingResults> grpc = bySystem("grpc");
        for (int streams : options.streams()) {
            for (StreamingResults fw : framewire) {
                for (StreamingResults anchor : grpc) {
                    String shown = ratio(fw.get(streams), anchor.get(streams))
                            .map(v -> String.format(Locale.ROOT, "%.2fx", v)).orElse("n/a");
                    out.printf(Locale.ROOT, "%-42s %7d %8s%n", fw.variant() + " / " + anchor.variant(), streams, shown);
                }
            }
        }
        for (StreamingResults r : results) {
            if (r.failure() != null) {
                out.println("FAILED: " + r.variant() + ": " + r.failure());
            }
        }
    }

    private static String figures(StreamingResults r, int streams) {
        StreamingProbe.Result m = r.get(streams);
        if (m == null) {
            return String.format(Locale.ROOT, "%-17s %7d %14s %14s %12s %12s %12s%s", r.variant(), streams, "-", "-", "-", "-", "-",
                    r.failure() != null ? "  FAILED" : "");
        }
        return String.format(Locale.ROOT, "%-17s %7d %,14.0f %,14.0f %,12.0f %,12.0f %,12d", r.variant(), streams,
                m.perSecond(), m.perStreamMean(), m.perStreamMin(), m.perStreamMax(), m.messages());
    }

    private List<StreamingResults> bySystem(String system) {
        return results.stream().filter(r -> r.system().equals(system)).toList();
    }

    private static Optional<Double> ratio(StreamingProbe.Result numerator, StreamingProbe.Result denominator) {
        return numerator == null || denominator == null
                ? Optional.empty() : Optional.of(numerator.perSecond() / denominator.perSecond());
    }
}
