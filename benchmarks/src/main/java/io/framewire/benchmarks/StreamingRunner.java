package io.framewire.benchmarks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * Runs the streaming scenario for one system: starts its server JVM (a fresh one, not the unary
 * scenario's), then for each of the system's {@link StreamingVariant}s connects once, checks that
 * streams complete correctly, and measures each number of concurrent streams on that connection.
 */
final class StreamingRunner {
    /** Bytes per streamed message. */
    static final int MESSAGE_SIZE = 64;

    /** Messages the completion check asks for in all, so that it stays short however many streams it opens. */
    private static final long CHECK_TOTAL = 160_000;

    /** The fewest messages a stream of the completion check asks for. */
    private static final long CHECK_LEAST = 1_000;

    private final BenchOptions options;

    StreamingRunner(BenchOptions options) {
        this.options = options;
    }

    /** One result per variant of {@code system}, in order; each failed if it could not be measured. */
    List<StreamingResults> run(EchoSystem system) {
        List<StreamingVariant> variants = system.streamingVariants();
        List<StreamingResults> results = new ArrayList<>();
        for (StreamingVariant variant : variants) {
            results.add(new StreamingResults(system.name(), variant.label()));
        }
        try (ServerProcess server = ServerProcess.start(system, new Endpoint.Tcp(0))) {
            for (int i = 0; i < variants.size(); i++) {
                run(server, variants.get(i), results.get(i));
            }
        } catch (Exception | Error e) {
            // Only the server's start can fail here; each variant catches its own failures.
            results.forEach(r -> r.failed(e));
            report(system.name(), e);
        }
        return results;
    }

    private void run(ServerProcess server, StreamingVariant variant, StreamingResults results) {
        try (StreamClient client = variant.connector().connect(server.endpoint())) {
            int mostStreams = options.streams().stream().max(Integer::compare).orElseThrow();
            long checkMessages = checkMessages(mostStreams);
            guarded(server, () -> {
                StreamingProbe.checkCompletion(client, mostStreams, MESSAGE_SIZE, checkMessages);
                return null;
            });
            progress(variant, String.format(Locale.ROOT, "check      %d streams of %,d messages each ended OK, every message in order",
                    mostStreams, checkMessages));
            for (int streams : options.streams()) {
                StreamingProbe.Result r = guarded(server, () -> StreamingProbe.measure(client, streams, MESSAGE_SIZE,
                        options.streamingWarmup(), options.streamDuration(),
                        server::cpuNanos, server::jitNanos));
                results.put(r);
                progress(variant, String.format(Locale.ROOT, "%3d stream%s %,12.0f msgs/s  (%,.0f per stream; %,d messages in %.2f s;"
                                + " CPU ns per message: client %s, server %s)",
                        streams, streams == 1 ? " " : "s", r.perSecond(), r.perStreamMean(), r.messages(), r.nanos() / 1e9,
                        StreamingTable.cpu(r.clientCpuPerMessage()), StreamingTable.cpu(r.serverCpuPerMessage())));
                progress(variant, "           " + r.describeJit());
            }
        } catch (Exception | Error e) {
            results.failed(e);
            report(variant.label(), e);
        }
    }

    /** Messages each stream of the completion check asks for when it opens {@code streams} streams: 20,000 for 8. */
    static long checkMessages(int streams) {
        return Math.max(CHECK_LEAST, CHECK_TOTAL / streams);
    }

    /** Runs a phase under a watchdog that kills the server if the phase hangs, failing its streams. */
    private <T> T guarded(ServerProcess server, Callable<T> phase) throws Exception {
        Duration limit = options.streamingWarmup().bound().plus(options.streamDuration()).plus(SystemRunner.HANG_SLACK);
        return server.guarded(limit, phase);
    }

    private static void progress(StreamingVariant variant, String what) {
        System.out.printf(Locale.ROOT, "  %-22s %s%n", variant.label(), what);
    }

    private static void report(String what, Throwable e) {
        System.out.println("  " + what + " FAILED: " + e);
        e.printStackTrace(System.out);
    }
}
