package io.framewire.benchmarks;

import io.framewire.CallOptions;
import io.framewire.Client;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A bounded load test (soak) of one Framewire server in a JVM of its own with a small heap, over TCP
 * loopback from this JVM through {@code --connections} clients:
 *
 * <ol>
 *   <li>warm-up: the phase 2 mix for {@code --warmup}, unmeasured; then the server's heap after a full
 *       GC, read over the protocol ({@link LoadTestServer#READING}), twice, which shows how well a
 *       reading repeats;
 *   <li>phase 1: {@code --load-calls} unary echo calls ({@link UnaryLoad}); the heap again;
 *   <li>phase 2: {@code --load-mix} of unary calls, server streams, bidi echo calls, request-reply and
 *       pub/sub under BLOCK and DROP_OLDEST ({@link MixLoad}); the heap again;
 * </ol>
 *
 * then a table ({@link LoadReport}) with a PASS or FAIL line per target: no errors, nothing lost under
 * BLOCK, and heap growth within noise. A watchdog kills the server if the test overruns
 * {@link LoadOptions#limit()}, and ends this JVM a minute later if it is still running.
 *
 * <pre>
 * ./mvnw -q -B -pl benchmarks -am -Pload -DskipTests package -Dload.args="--load-calls=20000 --load-mix=15s --warmup=3s"
 * </pre>
 *
 * Exits 0 when every target is met, 1 when one is missed, 2 on bad arguments, 3 if the watchdog ended it.
 */
public final class LoadTest {
    private static final Duration READING_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration EXIT_GRACE = Duration.ofMinutes(1);

    /** The heap readings, in the order taken. */
    static final String START = "start";
    static final String START_AGAIN = "start, again";
    static final String MID = "mid";
    static final String END = "end";

    private LoadTest() {}

    /**
     * A reading of the server and of this JVM, both after full collections, at one point of the test.
     *
     * @param server empty if the server did not answer
     */
    record Reading(String when, Optional<ServerReading> server, ServerReading driver) {}

    public static void main(String[] args) throws Exception {
        LoadOptions options = Arguments.parseOrExit(args, LoadOptions.USAGE, LoadOptions::parse);
        printHeader(options);
        long start = System.nanoTime();
        AtomicReference<ServerProcess> server = new AtomicReference<>();
        Watchdog killServer = Watchdog.arm(options.limit(), () -> {
            System.out.printf(Locale.ROOT, "WATCHDOG: the test did not end within %d s; killing the server%n", options.limit().toSeconds());
            ServerProcess s = server.get();
            if (s != null) {
                s.kill();
            }
        });
        Watchdog exit = Watchdog.arm(options.limit().plus(EXIT_GRACE), () -> {
            System.out.println("WATCHDOG: still running " + EXIT_GRACE.toSeconds() + " s after the server was killed; exiting");
            System.exit(3); // the shutdown hook of ChildJvm destroys the server if it is somehow still there
        });
        LoadReport report;
        try (killServer; exit; ServerProcess s = ServerProcess.start("load server", LoadTestServer.class,
                options.serverJvmFlags(), List.of(new Endpoint.Tcp(0).toString()))) {
            server.set(s);
            report = run(s, options);
        } catch (Exception | Error e) {
            // What ran has printed its progress; the server JVM is gone (closed above, or by the shutdown hook).
            System.out.println("FAILED: the load test could not go on: " + e);
            e.printStackTrace(System.out);
            System.out.println("result: FAIL");
            System.out.flush();
            System.exit(killServer.fired() ? 3 : 1);
            return;
        }
        report.print(System.out, killServer.fired());
        System.out.printf(Locale.ROOT, "%ntotal time %.0f s, load average %.2f at the end%n",
                (System.nanoTime() - start) / 1e9, Harness.loadAverage());
        System.out.flush();
        // Exit explicitly: clients may leave non-daemon threads behind.
        System.exit(killServer.fired() ? 3 : report.passed() ? 0 : 1);
    }

    private static LoadReport run(ServerProcess server, LoadOptions options) throws Exception {
        List<Client> clients = new ArrayList<>();
        try {
            String address = FramewireEcho.address(server.endpoint());
            for (int i = 0; i < options.connections(); i++) {
                clients.add(Client.connect(address));
            }
            System.out.printf(Locale.ROOT, "server %s at %s, %d clients connected%n", server, address, clients.size());
            List<Reading> readings = new ArrayList<>();
            MixLoad.Result warmup = null;
            if (options.warmup().isPositive()) {
                System.out.printf(Locale.ROOT, "warm-up: the mix for %d s%n", options.warmup().toSeconds());
                warmup = MixLoad.run("warm-up", clients, options, options.warmup(), Duration.ofSeconds(10));
                System.out.printf(Locale.ROOT, "  warm-up: %,d operations, %,d errors%n", warmup.done(), warmup.errors());
            }
            readings.add(read(START, clients.getFirst()));
            readings.add(read(START_AGAIN, clients.getFirst()));

            System.out.printf(Locale.ROOT, "phase 1: %,d unary calls by %d virtual threads over %d connections%n",
                    options.calls(), options.callers(), clients.size());
            OperationStats.Result unary = UnaryLoad.run(clients, options, Duration.ofSeconds(10));
            System.out.printf(Locale.ROOT, "  phase 1: %,d ok, %,d errors in %.1f s%n", unary.done(), unary.errorCount(), unary.nanos() / 1e9);
            readings.add(read(MID, clients.getFirst()));

            System.out.printf(Locale.ROOT, "phase 2: the mix for %d s%n", options.mix().toSeconds());
            Duration progress = options.mix().compareTo(Duration.ofMinutes(2)) >= 0 ? Duration.ofMinutes(1) : Duration.ofSeconds(5);
            MixLoad.Result mix = MixLoad.run("phase 2", clients, options, options.mix(), progress);
            System.out.printf(Locale.ROOT, "  phase 2: %,d operations, %,d errors%n", mix.done(), mix.errors());
            readings.add(read(END, clients.getFirst()));
            return new LoadReport(options, warmup, unary, mix, readings);
        } finally {
            clients.forEach(Client::close);
        }
    }

    /** Reads the server's heap after full collections over the protocol, and this JVM's. */
    private static Reading read(String when, Client client) {
        ServerReading driver = ServerReading.afterFullGc(0);
        try {
            ServerReading server = client.call(LoadTestServer.READING, new byte[0], CallOptions.DEFAULT.withTimeout(READING_TIMEOUT));
            System.out.printf(Locale.ROOT, "  heap after full GC, %-13s server %s, this JVM %s; server platform threads %d, connections %d%n",
                    when + ":", LoadReport.mebibytes(server.heapUsed()), LoadReport.mebibytes(driver.heapUsed()),
                    server.threads(), server.connections());
            return new Reading(when, Optional.of(server), driver);
        } catch (RuntimeException e) {
            System.out.printf(Locale.ROOT, "  heap after full GC, %-13s the server did not answer: %s%n", when + ":", e);
            return new Reading(when, Optional.empty(), driver);
        }
    }

    private static void printHeader(LoadOptions o) {
        Runtime.Version v = Runtime.version();
        System.out.printf(Locale.ROOT, "Framewire load test: one server in a JVM of its own, TCP loopback, this JVM the client%n");
        System.out.printf(Locale.ROOT, "  JVM          %s (%s %s), %s%n", v, System.getProperty("java.vm.vendor"),
                System.getProperty("java.vm.name"), ChildJvm.javaBinary());
        System.out.printf(Locale.ROOT, "  machine      %d CPUs, %s %s %s, load average %.2f at start%n",
                Runtime.getRuntime().availableProcessors(), System.getProperty("os.name"),
                System.getProperty("os.version"), System.getProperty("os.arch"), Harness.loadAverage());
        System.out.printf(Locale.ROOT, "  server JVM   %s; services: unary echo, server stream, bidi echo, heap after GC; the broker%n",
                String.join(" ", o.serverJvmFlags()));
        System.out.printf(Locale.ROOT, "  connections  %d Clients, one connection each, shared by every phase; payload %s%n",
                o.connections(), ReportTable.size(o.payload()));
        System.out.printf(Locale.ROOT, "  phase 1      %,d unary calls, deadline %d s each, %d virtual threads, at most %d s%n",
                o.calls(), UnaryLoad.DEADLINE.toSeconds(), o.callers(), o.callsLimit().toSeconds());
        System.out.printf(Locale.ROOT, "  phase 2      %d s: %d unary callers; %d threads of server streams (%,d msgs each); %d threads of%n"
                + "               bidi echo calls (%,d round trips each); %d request-reply threads and a responder; %d topics, each%n"
                + "               one publisher at %,d msgs/s and 4 subscribers: BLOCK pulled and pushed (block timeout 30 s, queue%n"
                + "               10,000), DROP_OLDEST pulled and slow (queue 1,000) and pushed%n",
                o.mix().toSeconds(), o.mixCallers(), o.mixStreams(), o.streamMessages(), o.mixBidi(), o.bidiMessages(),
                o.requesters(), o.topics(), o.publishRate());
        System.out.printf(Locale.ROOT, "  warm-up      the phase 2 mix for %d s before the first heap reading%n", o.warmup().toSeconds());
        System.out.printf(Locale.ROOT, "  watchdog     kills the server after %d s, ends this JVM %d s later%n",
                o.limit().toSeconds(), EXIT_GRACE.toSeconds());
        System.out.println();
    }
}
