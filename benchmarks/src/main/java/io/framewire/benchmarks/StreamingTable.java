package io.framewire.benchmarks;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The streaming scenario's closing table: messages per second for every variant and number of
 * streams (all streams together, and per stream: mean, slowest, fastest), then the ratio of each
 * Framewire variant to each gRPC variant; and when the gateway ran, each gateway variant against
 * grpc-direct's with the same client.
 */
final class StreamingTable {
    private final BenchOptions options;
    private final List<StreamingResults> results;

    StreamingTable(BenchOptions options, List<StreamingResults> results) {
        this.options = options;
        this.results = results;
    }

    void print(PrintStream out) {
        out.printf(Locale.ROOT, "Streaming: %s messages server -> client, each stream counted at the client over %d s after %s%n",
                ReportTable.size(StreamingRunner.MESSAGE_SIZE), options.streamDuration().toSeconds(),
                options.streamingWarmup().goesOn()
                        ? "at least " + options.streamWarmup().toSeconds() + " s of warm-up, longer while a JIT compiler was busy"
                        : options.streamWarmup().toSeconds() + " s of warm-up");
        out.printf(Locale.ROOT, "%-22s %7s %14s %14s %12s %12s %12s%n", "variant", "streams", "msgs/s total",
                "msgs/s/stream", "slowest", "fastest", "messages");
        for (int streams : options.streams()) {
            for (StreamingResults r : results) {
                out.println(figures(r, streams));
            }
        }
        printCpu(out);
        List<StreamingResults> framewire = bySystem("framewire");
        List<StreamingResults> grpc = bySystem("grpc");
        if (!framewire.isEmpty() && !grpc.isEmpty()) { // else the header would head no rows
            out.println();
            out.printf(Locale.ROOT, "%-42s %7s %8s%n", "ratio of msgs/s (higher is better)", "streams", "value");
        }
        for (int streams : options.streams()) {
            for (StreamingResults fw : framewire) {
                for (StreamingResults anchor : grpc) {
                    String shown = ratio(fw.get(streams), anchor.get(streams))
                            .map(v -> String.format(Locale.ROOT, "%.2fx", v)).orElse("n/a");
                    out.printf(Locale.ROOT, "%-42s %7d %8s%n", fw.variant() + " / " + anchor.variant(), streams, shown);
                }
            }
        }
        printGatewayRatios(out);
        for (StreamingResults r : results) {
            if (r.failure() != null) {
                out.println("FAILED: " + r.variant() + ": " + r.failure());
            }
        }
    }

    /**
     * Each gateway variant against the grpc-direct variant with the same client ({@code stub},
     * {@code ahead N}), with the target: at most 1.3x the cost, so at least 1/1.3x the rate.
     */
    private void printGatewayRatios(PrintStream out) {
        List<StreamingResults> gateway = bySystem(Harness.GATEWAY);
        if (gateway.isEmpty()) {
            return;
        }
        out.println();
        out.printf(Locale.ROOT, "%-46s %7s %8s %8s  %s%n", "ratio of msgs/s (higher is better)", "streams", "value", "target", "verdict");
        double target = 1 / ReportTable.GATEWAY_COST;
        for (int streams : options.streams()) {
            for (StreamingResults gw : gateway) {
                String client = gw.variant().substring(Harness.GATEWAY.length());
                Optional<StreamingResults> anchor = bySystem("grpc-direct").stream()
                        .filter(r -> r.variant().equals("grpc-direct" + client)).findFirst();
                Optional<Double> value = anchor.flatMap(a -> ratio(gw.get(streams), a.get(streams)));
                out.printf(Locale.ROOT, "%-46s %7d %8s %8s  %s%n", gw.variant() + " / grpc-direct" + client, streams,
                        value.map(v -> String.format(Locale.ROOT, "%.2fx", v)).orElse("n/a"),
                        ">= " + ReportTable.times(target),
                        value.map(v -> v >= target ? "met" : "MISSED").orElse("not measured"));
            }
        }
    }

    private static String figures(StreamingResults r, int streams) {
        StreamingProbe.Result m = r.get(streams);
        if (m == null) {
            return String.format(Locale.ROOT, "%-22s %7d %14s %14s %12s %12s %12s%s", r.variant(), streams, "-", "-", "-", "-", "-",
                    r.failure() != null ? "  FAILED" : "");
        }
        return String.format(Locale.ROOT, "%-22s %7d %,14.0f %,14.0f %,12.0f %,12.0f %,12d", r.variant(), streams,
                m.perSecond(), m.perStreamMean(), m.perStreamMin(), m.perStreamMax(), m.messages());
    }

    /**
     * CPU time per message received, of the client's JVM and of the server's, over the counted window:
     * it barely depends on how fast a shared machine happens to be, so it tells where a pipeline's cost
     * is when rates scatter. The gateway's server JVM holds the gateway and its Framewire backend.
     */
    private void printCpu(PrintStream out) {
        out.println();
        out.printf(Locale.ROOT, "%-22s %7s %10s %10s%n", "CPU ns per msg", "streams", "client", "server");
        for (int streams : options.streams()) {
            for (StreamingResults r : results) {
                StreamingProbe.Result m = r.get(streams);
                out.printf(Locale.ROOT, "%-22s %7d %10s %10s%n", r.variant(), streams,
                        m == null ? "-" : cpu(m.clientCpuPerMessage()), m == null ? "-" : cpu(m.serverCpuPerMessage()));
            }
        }
        out.printf(Locale.ROOT, "  client: the harness JVM; server: the server JVM (the gateway's holds its backend too); from %s%n",
                ProcessCpu.source());
    }

    /** CPU nanoseconds per message as shown, or "n/a" when the JDK could not read a process's CPU time. */
    static String cpu(double nanosPerMessage) {
        return nanosPerMessage < 0 ? "n/a" : String.format(Locale.ROOT, "%,.0f", nanosPerMessage);
    }

    private List<StreamingResults> bySystem(String system) {
        return results.stream().filter(r -> r.system().equals(system)).toList();
    }

    private static Optional<Double> ratio(StreamingProbe.Result numerator, StreamingProbe.Result denominator) {
        return numerator == null || denominator == null
                ? Optional.empty() : Optional.of(numerator.perSecond() / denominator.perSecond());
    }
}
