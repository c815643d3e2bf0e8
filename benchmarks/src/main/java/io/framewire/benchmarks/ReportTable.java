package io.framewire.benchmarks;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.ToDoubleFunction;

/**
 * The unary scenario's closing table: every system's figures per payload and transport, then
 * Framewire's ratios with their targets: against the floor (latency, lower is better) and against
 * gRPC (throughput, higher is better) on each transport, and over AF_UNIX against itself over TCP;
 * and when the gateway ran, its cost against gRPC-Java direct in the same configuration
 * ({@code grpc-direct}): p50 at most 1.3x, throughput at least 1/1.3x; and the gateway's p50 floor,
 * {@code (grpc-direct + framewire unix) / grpc-direct}: what a gateway would read that cost nothing but
 * its backend's round trip (Framewire over AF_UNIX, the handler where the gateway's backend runs it),
 * and the gateway's p50 over that floor, what it adds beyond the round trip.
 */
final class ReportTable {
    static final double LATENCY_TARGET = 2.0;    // Framewire p50 at most twice the raw floor's, same transport
    static final double THROUGHPUT_TARGET = 3.0; // Framewire at least three times gRPC's calls/s, same transport
    static final double UNIX_TARGET = 1.0;       // Framewire over AF_UNIX at least as fast as over TCP
    static final double UDP_THROUGHPUT_TARGET = 0.5; // Framewire over udp at least half the raw UDP echo's calls/s
    static final double GATEWAY_COST = 1.3;      // through the gateway at most 1.3x the cost of gRPC-Java direct (issue 12)

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
        out.printf(Locale.ROOT, "%-12s %-9s %8s %10s %10s %10s %12s %16s%n", "system", "transport", "payload", "p50 us",
                "p99 us", "p99.9 us", "lat. calls", "calls/s @" + options.outstanding());
        for (int payload : options.payloads()) {
            for (SystemResults r : results) {
                out.println(figures(r, payload));
            }
        }
        out.println();
        out.printf(Locale.ROOT, "%-56s %8s %8s %8s  %s%n", "ratio", "payload", "value", "target", "verdict");
        for (int payload : options.payloads()) {
            for (Transport t : options.transports()) {
                if (t == Transport.UDP) {
                    out.println(ratio("framewire/raw latency p50, udp", payload,
                            ratio("framewire", t, "raw", t, payload, LATENCY), false, LATENCY_TARGET));
                    out.println(ratio("framewire/raw throughput, udp", payload,
                            ratio("framewire", t, "raw", t, payload, THROUGHPUT), true, UDP_THROUGHPUT_TARGET));
                    continue;
                }
                out.println(ratio("framewire/raw latency p50, " + t.argName(), payload,
                        ratio("framewire", t, "raw", t, payload, LATENCY), false, LATENCY_TARGET));
                out.println(ratio("framewire/grpc throughput, " + t.argName(), payload,
                        ratio("framewire", t, "grpc", t, payload, THROUGHPUT), true, THROUGHPUT_TARGET));
            }
            if (options.transports().containsAll(List.of(Transport.TCP, Transport.UNIX))) {
                out.println(ratio("framewire unix/tcp latency p50", payload,
                        ratio("framewire", Transport.UNIX, "framewire", Transport.TCP, payload, LATENCY), false, UNIX_TARGET));
                out.println(ratio("framewire unix/tcp throughput", payload,
                        ratio("framewire", Transport.UNIX, "framewire", Transport.TCP, payload, THROUGHPUT), true, UNIX_TARGET));
            }
            for (Transport t : options.systems().contains(Harness.GATEWAY) ? options.transports() : List.<Transport>of()) {
                out.println(ratio("gateway/grpc-direct latency p50, " + t.argName(), payload,
                        ratio(Harness.GATEWAY, t, "grpc-direct", t, payload, LATENCY), false, GATEWAY_COST));
                out.println(ratio("gateway/grpc-direct throughput, " + t.argName(), payload,
                        ratio(Harness.GATEWAY, t, "grpc-direct", t, payload, THROUGHPUT), true, 1 / GATEWAY_COST));
                printGatewayFloor(out, t, payload);
            }
        }
        for (SystemResults r : results) {
            if (r.failure() != null) {
                out.println("FAILED: " + r.system() + " " + r.transport().argName() + ": " + r.failure());
            }
        }
    }

    /**
     * The gateway's p50 floor over {@code t}, (grpc-direct + framewire unix) / grpc-direct, against the
     * gateway's target, and the gateway's p50 over grpc-direct + framewire unix. The {@code framewire}
     * unix row stands for the gateway's backend round trip only when its handler runs where the
     * gateway's backend runs it ({@code --fw-handler} as {@code --gw-handler}).
     */
    private void printGatewayFloor(PrintStream out, Transport t, int payload) {
        String floorName = "gateway floor latency p50, " + t.argName();
        String overName = "gateway/floor latency p50, " + t.argName();
        if (options.fwHandler() != options.gwHandler()) {
            String why = "not measured (--fw-handler is not --gw-handler)";
            out.println(row(floorName, false, payload, "n/a", "<= " + times(GATEWAY_COST), why));
            out.println(row(overName, false, payload, "n/a", "-", why));
            return;
        }
        Optional<Double> direct = latency("grpc-direct", t, payload);
        Optional<Double> backend = latency("framewire", Transport.UNIX, payload);
        Optional<Double> gateway = latency(Harness.GATEWAY, t, payload);
        Optional<Double> floor = direct.flatMap(d -> backend.map(b -> d + b));
        Optional<Double> floorRatio = floor.flatMap(f -> direct.map(d -> f / d));
        out.println(row(floorName, false, payload, shown(floorRatio), "<= " + times(GATEWAY_COST),
                floorRatio.map(v -> v <= GATEWAY_COST ? "target above the floor" : "TARGET BELOW THE FLOOR")
                        .orElse("not measured")));
        Optional<Double> over = gateway.flatMap(g -> floor.map(f -> g / f));
        out.println(row(overName, false, payload, shown(over), "-",
                over.isPresent() ? "what the gateway adds to its backend's round trip" : "not measured"));
    }

    private Optional<Double> latency(String system, Transport transport, int payload) {
        return find(system, transport).map(r -> LATENCY.of(r, payload));
    }

    private static String shown(Optional<Double> value) {
        return value.map(v -> String.format(Locale.ROOT, "%.2fx", v)).orElse("n/a");
    }

    private static String row(String name, boolean higherIsBetter, int payload, String value, String target, String verdict) {
        return String.format(Locale.ROOT, "%-56s %8s %8s %8s  %s",
                name + (higherIsBetter ? " (higher is better)" : " (lower is better)"), size(payload), value, target, verdict);
    }

    /** One figure of a system's results for a payload, or null if it was not measured. */
    private interface Figure {
        Double of(SystemResults r, int payload);
    }

    private static final Figure LATENCY = (r, payload) -> value(r.latency(payload), LatencyProbe.Result::p50);
    private static final Figure THROUGHPUT = (r, payload) -> value(r.throughput(payload), ThroughputProbe.Result::perSecond);

    private static <T> Double value(T result, ToDoubleFunction<T> figure) {
        return result == null ? null : figure.applyAsDouble(result);
    }

    private static String figures(SystemResults r, int payload) {
        LatencyProbe.Result lat = r.latency(payload);
        ThroughputProbe.Result tput = r.throughput(payload);
        String latency = lat == null
                ? String.format(Locale.ROOT, "%10s %10s %10s %12s", "-", "-", "-", "-")
                : String.format(Locale.ROOT, "%10.1f %10.1f %10.1f %,12d", lat.p50(), lat.p99(), lat.p999(), lat.calls());
        String throughput = tput == null ? "-" : String.format(Locale.ROOT, "%,.0f", tput.perSecond());
        String failed = r.failure() != null && (lat == null || tput == null) ? "  FAILED" : "";
        return String.format(Locale.ROOT, "%-12s %-9s %8s %s %16s%s", r.system(), r.transport().argName(), size(payload),
                latency, throughput, failed);
    }

    private static String ratio(String name, int payload, Optional<Double> value, boolean higherIsBetter, double target) {
        String verdict = value.map(v -> (higherIsBetter ? v >= target : v <= target) ? "met" : "MISSED")
                .orElse("not measured");
        return row(name, higherIsBetter, payload, shown(value), (higherIsBetter ? ">= " : "<= ") + times(target), verdict);
    }

    /** 2 -> "2x", 1/1.3 -> "0.77x". */
    static String times(double target) {
        return target == Math.rint(target) ? (int) target + "x" : String.format(Locale.ROOT, "%.2fx", target);
    }

    /** {@code figure} of one system over another, both for {@code payload}, if both were measured. */
    private Optional<Double> ratio(String system, Transport transport, String anchor, Transport anchorTransport,
                                   int payload, Figure figure) {
        Optional<Double> numerator = find(system, transport).map(r -> figure.of(r, payload));
        Optional<Double> denominator = find(anchor, anchorTransport).map(r -> figure.of(r, payload));
        return numerator.isPresent() && denominator.isPresent()
                ? Optional.of(numerator.get() / denominator.get()) : Optional.empty();
    }

    private Optional<SystemResults> find(String system, Transport transport) {
        return results.stream().filter(r -> r.system().equals(system) && r.transport() == transport).findFirst();
    }
}
