package io.framewire.internal;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.framewire.Address;
import io.framewire.Client;
import io.framewire.Codec;
import io.framewire.MethodDescriptor;
import io.framewire.Server;
import io.framewire.ServerLimits;
import io.framewire.Service;
import io.framewire.protocol.Frame;
import io.framewire.protocol.FrameDecoder;
import io.framewire.protocol.FrameEncoder;
import io.framewire.protocol.FrameType;
import io.framewire.protocol.ProtocolException;
import io.framewire.protocol.Setting;
import io.framewire.protocol.Settings;
import io.framewire.spi.Connection;
import io.framewire.spi.TransportProvider;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Timeout;

/**
 * Coverage-guided fuzzing of a live server session fed by a hostile peer: a raw connection to a running
 * {@link Server} writes what {@link HostilePeerScript} makes of the fuzzer's input (a HELLO or not, then
 * raw bytes and well-formed frames: calls, message fragments, credit, subscriptions, publishes, pings,
 * cancels, GOAWAY...), then closes or half-closes. After each input:
 * <ul>
 *   <li>every byte the server wrote decodes as frames (its first frame a HELLO or an ERROR);</li>
 *   <li>a server that read a complete frame sequence answers a PING after it, or closes;</li>
 *   <li>after the peer half-closes, the server closes its side;</li>
 *   <li>the server's connection count returns to 1 (the well-behaved client);</li>
 *   <li>that client's unary call still succeeds;</li>
 *   <li>nothing was logged at ERROR (SEVERE), no log record carried an exception, and no thread died of
 *       an uncaught exception.</li>
 * </ul>
 * Bounded waits (10 s) turn a hang into a finding; no branch depends on the clock otherwise. One server
 * and one client serve every input; they start on first use and close after the class.
 *
 * <p>Under plain {@code mvn test} this runs the seeds in
 * {@code src/test/resources/io/framewire/internal/ServerSessionFuzzTestInputs/hostilePeer/}
 * ({@link ServerSessionFuzzSeedsTest} writes and checks them). To fuzz:
 * <pre>
 * JAZZER_FUZZ=1 ./mvnw -B -pl core -am test -Dtest=ServerSessionFuzzTest#hostilePeer \
 *     -Dsurefire.failIfNoSpecifiedTests=false [-Djazzer.max_duration=30m]
 * </pre>
 * Findings are written as {@code crash-*} files into the inputs directory (git ignores them): move them
 * out before the next plain build, or it will run them.
 */
class ServerSessionFuzzTest {
    static final MethodDescriptor<byte[], byte[]> ECHO = MethodDescriptor.unary(HostilePeerScript.ECHO, Codec.bytes(), Codec.bytes());
    static final MethodDescriptor<byte[], byte[]> CHAT = MethodDescriptor.bidiStreaming(HostilePeerScript.CHAT, Codec.bytes(), Codec.bytes());
    /** The PING payload of the fence; the script's own PINGs may use it too, which only ends the wait earlier. */
    static final long FENCE = 0x46454E4345L; // "FENCE"
    static final Duration BOUND = Duration.ofSeconds(10);

    private static Fixture fixture;

    @FuzzTest(maxDuration = "10m")
    @Timeout(60)
    void hostilePeer(FuzzedDataProvider data) throws Exception {
        HostilePeerScript script = HostilePeerScript.read(new HostilePeerScript.FuzzedChoices(data));
        Fixture f = fixture();
        byte[] bytes = script.bytes();
        boolean fence = script.ending() != HostilePeerScript.Ending.CLOSE_AT_ONCE && endsAtFrameBoundary(bytes);
        if (fence) {
            bytes = concat(bytes, FrameEncoder.encode(new Frame.Ping(FENCE)));
        }

        Connection raw = f.transport.connect(f.address, f.transport.defaultOptions(), BOUND);
        ServerOutput output = ServerOutput.drain(raw);
        try {
            try {
                raw.write(ByteBuffer.wrap(bytes)); // fits the in-process pipe's buffer: never waits for the server
            } catch (IOException e) {
                // The server closed first; what it did is checked below.
            }
            if (fence) {
                within(output.fenceOrEnd, "the server neither answered a PING after a complete frame sequence nor closed");
            }
            if (script.ending() == HostilePeerScript.Ending.FENCE_THEN_HALF_CLOSE) {
                raw.shutdownOutput();
                within(output.end, "the server did not close its side after the peer half-closed");
            }
        } finally {
            raw.close();
        }
        String invalid = within(output.end, "the reader of the server's output did not end after the connection closed");
        if (invalid != null) {
            fail(invalid);
        }
        await().atMost(BOUND).pollInSameThread().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1))
                .until(() -> f.server.connectionCount() == 1);
        byte[] hello = "still serving".getBytes(StandardCharsets.US_ASCII);
        assertArrayEquals(hello, within(f.client.callAsync(ECHO, hello), "the well-behaved client's call did not complete"));
        List<String> problems = f.takeProblems();
        assertEquals(List.of(), problems, "logged at ERROR, or with an exception, or uncaught");
    }

    /** Whether the server, decoding these bytes as this peer's connection, ends between frames without a violation. */
    static boolean endsAtFrameBoundary(byte[] bytes) {
        FrameDecoder shadow = FrameDecoder.forConnection(Settings.defaults().maxFrameSize());
        try {
            shadow.decode(ByteBuffer.wrap(bytes), frame -> { });
            return shadow.atFrameBoundary();
        } catch (ProtocolException e) {
            return false;
        }
    }

    private static <T> T within(CompletableFuture<T> f, String what) throws InterruptedException, ExecutionException {
        try {
            return f.get(BOUND.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError(what + " within " + BOUND.toSeconds() + " s");
        }
    }

    static byte[] concat(byte[] a, byte[] b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(a.length + b.length);
        out.writeBytes(a);
        out.writeBytes(b);
        return out.toByteArray();
    }

    // --- the server and the well-behaved client, shared by every input ---

    static synchronized Fixture fixture() {
        if (fixture == null) {
            fixture = new Fixture();
        }
        return fixture;
    }

    @AfterAll
    static synchronized void closeFixture() {
        if (fixture != null) {
            fixture.close();
            fixture = null;
        }
    }

    /** A small echo server (unary and bidi; pub/sub is built in) with small limits, so inputs reach them. */
    static final class Fixture implements AutoCloseable {
        final Server server;
        final Client client;
        final Address address;
        final TransportProvider transport;
        private final List<String> problems = new CopyOnWriteArrayList<>();
        private final Logger logger = Logger.getLogger("io.framewire"); // held: JUL keeps loggers weakly
        private final Handler handler = new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (r.getLevel().intValue() >= Level.SEVERE.intValue() || r.getThrown() != null) {
                    problems.add(r.getLevel() + " " + r.getMessage() + stackTrace(r.getThrown()));
                }
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        private final Thread.UncaughtExceptionHandler previousHandler = Thread.getDefaultUncaughtExceptionHandler();

        Fixture() {
            logger.addHandler(handler);
            Thread.setDefaultUncaughtExceptionHandler((t, e) -> problems.add("uncaught in " + t + stackTrace(e)));
            server = Server.builder()
                    .listen("inproc://fuzz-" + UUID.randomUUID())
                    .service(Service.builder("fuzz.Echo")
                            .unary(ECHO, (request, ctx) -> request)
                            .bidiStreaming(CHAT, call -> {
                                for (byte[] m : call.requests()) {
                                    call.send(m);
                                }
                            })
                            .build())
                    .maxMessageSize(64 * 1024)
                    .setting(Setting.MAX_CONCURRENT_STREAMS, 8)
                    .limits(ServerLimits.defaults().withMaxSubscriptionsPerConnection(4).withMaxSubscriptionQueue(32, 64 * 1024)
                            .withMaxBlockTime(Duration.ofMillis(200)).withFrameTimeout(Duration.ofSeconds(2)))
                    .build()
                    .start();
            address = server.address();
            transport = Transports.forAddress(address);
            client = Client.connect(address.toString());
        }

        /** The problems recorded since the last call. */
        List<String> takeProblems() {
            List<String> out = List.copyOf(problems);
            problems.removeAll(out);
            return out;
        }

        @Override
        public void close() {
            try {
                client.close();
                server.close();
            } finally {
                logger.removeHandler(handler);
                Thread.setDefaultUncaughtExceptionHandler(previousHandler);
            }
        }

        private static String stackTrace(Throwable t) {
            if (t == null) {
                return "";
            }
            StringWriter w = new StringWriter();
            t.printStackTrace(new PrintWriter(w));
            return "\n" + w;
        }
    }

    /**
     * Reads everything the server writes to the raw connection, on a virtual thread, so the server's
     * writes never wait for the test; and checks that it is frames. {@link #end} completes when the
     * connection ends, with null or what was wrong with the output.
     */
    static final class ServerOutput implements Runnable {
        private static final AtomicLong THREADS = new AtomicLong();
        final CompletableFuture<Void> fenceOrEnd = new CompletableFuture<>();
        final CompletableFuture<String> end = new CompletableFuture<>();
        private final Connection connection;
        private final ByteArrayOutputStream start = new ByteArrayOutputStream();
        private FrameDecoder decoder;
        private String invalid;

        private ServerOutput(Connection connection) {
            this.connection = connection;
        }

        static ServerOutput drain(Connection c) {
            ServerOutput o = new ServerOutput(c);
            Thread.ofVirtual().name("fuzz-drain-" + THREADS.incrementAndGet()).start(o);
            return o;
        }

        @Override
        public void run() {
            ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
            try {
                while (connection.read(buf.clear()) >= 0) {
                    buf.flip();
                    if (invalid == null) {
                        take(buf);
                    }
                }
            } catch (IOException e) {
                // closed by the test (or reset): the end either way
            } catch (RuntimeException | Error e) {
                invalid = "reading the server's output failed: " + e;
            } finally {
                fenceOrEnd.complete(null);
                end.complete(invalid);
            }
        }

        private void take(ByteBuffer buf) {
            if (decoder == null) {
                // The first frame is the server's HELLO, or an ERROR refusing ours: its type byte tells which.
                while (buf.hasRemaining() && start.size() < 5) {
                    start.write(buf.get());
                }
                if (start.size() < 5) {
                    return;
                }
                byte[] first = start.toByteArray();
                decoder = first[4] == FrameType.HELLO.code() ? FrameDecoder.forConnection(Integer.MAX_VALUE)
                        : FrameDecoder.afterHandshake(Integer.MAX_VALUE);
                decode(ByteBuffer.wrap(first));
            }
            decode(buf);
        }

        private void decode(ByteBuffer b) {
            try {
                decoder.decode(b, frame -> {
                    if (frame instanceof Frame.Pong p && p.payload() == FENCE) {
                        fenceOrEnd.complete(null);
                    }
                });
            } catch (ProtocolException e) {
                invalid = "the server wrote bytes that are not frames: " + e;
            }
        }
    }
}
