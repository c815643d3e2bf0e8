package io.framewire.benchmarks;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * Runs every phase for one system over one transport: starts its server JVM (over AF_UNIX on a socket
 * file in the run's {@link SocketDirectory}), connects once, then for each payload measures latency
 * and throughput on that connection, and stops the server whatever happens.
 */
final class SystemRunner {
    /** Slack beyond a phase's planned length before the watchdog declares it hung. */
    static final Duration HANG_SLACK = Duration.ofSeconds(60);

    private final BenchOptions options;
    private final SocketDirectory sockets;

    SystemRunner(BenchOptions options, SocketDirectory sockets) {
        this.options = options;
        this.sockets = sockets;
    }

    SystemResults run(EchoSystem system) {
        SystemResults results = new SystemResults(system.name(), system.transport());
        Endpoint listen = switch (system.transport()) {
            case TCP -> new Endpoint.Tcp(0);
            case UNIX -> sockets.socket(system.name());
            case UDP -> new Endpoint.Udp(0);
        };
        try (ServerProcess server = ServerProcess.start(system, listen);
             EchoClient client = system.connect(server.endpoint())) {
            guarded(server, () -> warmUp(client));
            for (int size : options.payloads()) {
                byte[] payload = Payload.of(size);
                LatencyProbe.Result latency = guarded(server, () ->
                        LatencyProbe.measure(client, payload, options.warmup(), options.duration()));
                results.latency(size, latency);
                progress(system, size, String.format(Locale.ROOT, "latency    p50 %.1f us  p99 %.1f us  p99.9 %.1f us  max %.1f us  (%,d calls)",
                        latency.p50(), latency.p99(), latency.p999(), latency.max(), latency.calls()));

                ThroughputProbe.Result throughput = guarded(server, () ->
                        ThroughputProbe.measure(client, payload, options.outstanding(), options.warmup(), options.duration()));
                results.throughput(size, throughput);
                progress(system, size, String.format(Locale.ROOT, "throughput %,.0f calls/s  (%,d calls, %d in flight)",
                        throughput.perSecond(), throughput.calls(), options.outstanding()));
            }
        } catch (Exception | Error e) {
            results.failed(e);
            System.out.println("  " + system.label() + " FAILED: " + e);
            e.printStackTrace(System.out);
        }
        return results;
    }

    /**
     * Loads both JVMs with every payload before the first phase, so the first phase's own (shorter,
     * single-caller) warm-up does not meet a cold JIT: gRPC in particular needs many thousands of calls.
     */
    private Void warmUp(EchoClient client) throws Exception {
        long slice = options.warmup().toNanos() / options.payloads().size();
        for (int size : options.payloads()) {
            client.sustain(Payload.of(size), options.outstanding(), System.nanoTime() + slice);
        }
        return null;
    }

    /** Runs a phase under a watchdog that kills the server if the phase hangs, failing its calls. */
    private <T> T guarded(ServerProcess server, Callable<T> phase) throws Exception {
        return server.guarded(options.warmup().plus(options.duration()).plus(HANG_SLACK), phase);
    }

    private static void progress(EchoSystem system, int payload, String what) {
        System.out.printf(Locale.ROOT, "  %-16s %7s  %s%n", system.label(), ReportTable.size(payload), what);
    }
}
