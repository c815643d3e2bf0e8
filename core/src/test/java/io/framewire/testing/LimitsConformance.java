package io.framewire.testing;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framewire.CallOptions;
import io.framewire.Client;
import io.framewire.ClientCall;
import io.framewire.Codec;
import io.framewire.Delivery;
import io.framewire.Gap;
import io.framewire.Message;
import io.framewire.MethodDescriptor;
import io.framewire.Server;
import io.framewire.ServerLimits;
import io.framewire.Service;
import io.framewire.Status;
import io.framewire.StatusException;
import io.framewire.SubscribeOptions;
import io.framewire.Subscription;
import io.framewire.protocol.ErrorCode;
import io.framewire.protocol.Frame;
import io.framewire.protocol.FrameEncoder;
import io.framewire.protocol.FrameLayout;
import io.framewire.protocol.Metadata;
import io.framewire.protocol.MethodType;
import io.framewire.protocol.OverflowPolicy;
import io.framewire.protocol.Setting;
import io.framewire.protocol.Settings;
import io.framewire.protocol.StatusCode;
import io.framewire.spi.TransportCapability;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The server's own limits, each exceeded, and faults that must stay contained: past a limit the
 * offending peer is refused or shed with a clear error, and a well-behaved client on the same server
 * carries on. The README's limits table lists the same limits.
 */
public abstract class LimitsConformance extends TransportFixture {
    static final MethodDescriptor<String, String> ECHO = MethodDescriptor.unary("test.Limits/Echo", Codec.utf8(), Codec.utf8());
    static final MethodDescriptor<byte[], byte[]> BYTES = MethodDescriptor.unary("test.Limits/Bytes", Codec.bytes(), Codec.bytes());
    static final MethodDescriptor<String, String> SLOW = MethodDescriptor.unary("test.Limits/Slow", Codec.utf8(), Codec.utf8());
    static final MethodDescriptor<String, String> LOUD = MethodDescriptor.unary("test.Limits/Loud", Codec.utf8(), Codec.utf8());
    /** Takes one request message, then waits to be cancelled, never finishing with what it took. */
    static final MethodDescriptor<byte[], byte[]> TAKE_ONE = MethodDescriptor.bidiStreaming("test.Limits/TakeOne",
            Codec.bytes(), Codec.bytes());
    /** Never reads: only credit protects the server from its sender. */
    static final MethodDescriptor<byte[], byte[]> HOLD = MethodDescriptor.bidiStreaming("test.Limits/Hold",
            Codec.bytes(), Codec.bytes());
    /** Sends three messages with its own thread interrupted. */
    static final MethodDescriptor<String, String> INTERRUPTED_SENDER = MethodDescriptor.serverStreaming(
            "test.Limits/InterruptedSender", Codec.utf8(), Codec.utf8());

    private final CountDownLatch slowRelease = new CountDownLatch(1);
    private final java.util.concurrent.Semaphore mayTake = new java.util.concurrent.Semaphore(0);
    private final java.util.concurrent.Semaphore took = new java.util.concurrent.Semaphore(0);

    private Service service() {
        return Service.builder("test.Limits")
                .unary(ECHO, (s, ctx) -> s)
                .unary(BYTES, (b, ctx) -> b)
                .unary(SLOW, (s, ctx) -> {
                    slowRelease.await(20, TimeUnit.SECONDS);
                    return s;
                })
                .unary(LOUD, (s, ctx) -> {
                    throw Status.of(StatusCode.FAILED_PRECONDITION, "x".repeat(100_000)).asException();
                })
                .bidiStreaming(TAKE_ONE, call -> {
                    mayTake.tryAcquire(20, TimeUnit.SECONDS);
                    call.receive();
                    took.release();
                    CountDownLatch cancelled = new CountDownLatch(1);
                    call.context().onCancel(cancelled::countDown);
                    cancelled.await(20, TimeUnit.SECONDS);
                })
                .bidiStreaming(HOLD, call -> {
                    CountDownLatch cancelled = new CountDownLatch(1);
                    call.context().onCancel(cancelled::countDown);
                    cancelled.await(20, TimeUnit.SECONDS);
                })
                .serverStreaming(INTERRUPTED_SENDER, (s, call) -> {
                    Thread.currentThread().interrupt();
                    for (int i = 1; i <= 3; i++) {
                        call.send(s + i);
                    }
                    Thread.interrupted();
                })
                .build();
    }

    private Server server(ServerLimits limits) {
        return server(limits, b -> { });
    }

    private Server server(ServerLimits limits, Consumer<Server.Builder> more) {
        return startServer(b -> {
            b.limits(limits);
            more.accept(b);
        }, service());
    }

    private static Frame.Error errorClosedWith(RawPeer peer) throws IOException {
        return peer.closingError().orElseThrow(() -> new AssertionError("the server closed without an ERROR frame"));
    }

    private static void assertStillServes(Client good) {
        assertEquals("still here", good.call(ECHO, "still here", CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(5))));
    }

    // --- connections and memory ---

    @Test
    void aConnectionBeyondMaxConnectionsGetsOverloadedAsItsFirstFrame() throws Exception {
        Server server = server(ServerLimits.defaults().withMaxConnections(2));
        Client good = connect(server);
        RawPeer second = rawPeer(server).handshake();
        await().atMost(Duration.ofSeconds(10)).until(() -> server.connectionCount() == 2);

        RawPeer third = rawPeer(server);
        third.send(io.framewire.protocol.Handshake.clientHello(Settings.defaults()));
        Frame first = third.readFrame().orElseThrow();
        Frame.Error refused = (Frame.Error) first;
        assertEquals(ErrorCode.OVERLOADED, refused.code());
        assertTrue(refused.message().contains("too many connections") && refused.message().contains("2"), refused.message());

        // The Java client reports the refusal as the reason it cannot connect.
        StatusException e = assertThrows(StatusException.class, () -> connect(server));
        assertEquals(StatusCode.UNAVAILABLE, e.status().code());
        assertTrue(e.status().description().contains("OVERLOADED"), e.status().description());

        assertStillServes(good);
        second.close();
        await().atMost(Duration.ofSeconds(10)).until(() -> server.connectionCount() == 1);
        assertStillServes(connect(server));
    }

    @Test
    void theConnectionHoldingTheMostIsShedWhenTheMemoryBudgetRunsOut() throws Exception {
        Server server = server(ServerLimits.defaults().withMemoryBudget(4L << 20));
        Client good = connect(server);
        // Each hostile peer parks a full stream window on each of 10 streams that are never read: 2.5 MiB
        // each, 5 MiB together.
        List<RawPeer> peers = new ArrayList<>();
        byte[] chunk = new byte[60_000];
        int window = Settings.defaults().initialStreamWindow();
        for (int p = 0; p < 2; p++) {
            RawPeer peer = rawPeer(server).handshake();
            peers.add(peer);
            for (int stream = 1; stream <= 19; stream += 2) {
                peer.send(new Frame.Call(stream, MethodType.BIDI_STREAMING, -1, HOLD.fullName(), Metadata.EMPTY));
                for (int sent = 0; sent + chunk.length + 4 <= window; sent += chunk.length + 4) {
                    peer.send(Frame.Message.whole(stream, chunk));
                }
            }
        }
        List<CompletableFuture<Frame.Error>> errors = new ArrayList<>();
        for (RawPeer peer : peers) {
            CompletableFuture<Frame.Error> error = new CompletableFuture<>();
            errors.add(error);
            // Each reads until its peer is closed: a platform thread each. Not virtual: a raw peer reads
            // with the transport's own blocking read, and on unix that read(2) holds its carrier, so two
            // such readers on a 2-CPU machine left no carrier for the server's virtual threads (the one
            // that sheds, the writers) and the OVERLOADED ERROR was never written (2 runs in 60).
            Thread.ofPlatform().daemon(true).start(() -> {
                try {
                    error.complete(peer.closingError().orElse(null));
                } catch (IOException ex) {
                    error.complete(null);
                }
            });
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> server.connectionsShed() >= 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> errors.stream().anyMatch(
                f -> f.isDone() && f.join() != null && f.join().code() == ErrorCode.OVERLOADED));
        assertStillServes(good);
        peers.forEach(RawPeer::close);
        await().atMost(Duration.ofSeconds(10)).until(() -> server.memoryInUse() < (1L << 20));
    }

    @Test
    void aClientThatNeverReadsItsResponsesIsShedNotBufferedWithoutBound() throws Exception {
        // Only a byte stream has a peer that stops reading: over datagrams the server sends and forgets
        // (its duplicate-request cache is what is bounded there).
        assumeCapability(TransportCapability.RELIABLE_ORDERED);
        Server server = server(ServerLimits.defaults().withMaxQueuedBytesPerConnection(256 * 1024)
                .withMemoryBudget(4L << 20));
        Client good = connect(server);
        // A client that grants no stream window can never be sent a response. Its handlers' responses
        // wait for room beyond the queue's bound, and what they hold counts against the budget.
        Client greedy = connect(server, b -> b.setting(Setting.INITIAL_STREAM_WINDOW, 0));
        byte[] body = new byte[32 * 1024];
        List<CompletableFuture<byte[]>> calls = new ArrayList<>();
        for (int i = 0; i < 200; i++) { // 6.4 MB of responses, and as much of requests
            calls.add(greedy.callAsync(BYTES, body, CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(20))));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> server.connectionsShed() >= 1);
        // The first call was on the connection that was shed (calls made after it reconnect).
        ExecutionException e = assertThrows(ExecutionException.class, () -> calls.get(0).get(10, TimeUnit.SECONDS));
        StatusException se = (StatusException) e.getCause();
        assertEquals(StatusCode.UNAVAILABLE, se.status().code());
        assertTrue(se.status().description().contains("OVERLOADED"), se.status().description());
        assertStillServes(good);
        greedy.close();
        await().atMost(Duration.ofSeconds(10)).until(() -> server.memoryInUse() < 512 * 1024);
    }

    @Test
    void unaryRequestsKeepTheirCreditUntilTheHandlerTakesThem() throws Exception {
        Server server = server(ServerLimits.defaults());
        Client good = connect(server);
        RawPeer peer = rawPeer(server).handshake();
        // Requests without HALF_CLOSE: their handlers never run, so their credit is not returned, and a
        // peer that sends past the connection window is refused rather than buffered.
        byte[] body = new byte[100_000];
        int connectionWindow = Settings.defaults().connectionWindow();
        int stream = 1;
        try {
            for (int sent = 0; sent <= connectionWindow + body.length; sent += body.length + 4, stream += 2) {
                peer.send(new Frame.Call(stream, MethodType.UNARY, -1, BYTES.fullName(), Metadata.EMPTY));
                peer.send(Frame.Message.whole(stream, body));
            }
        } catch (IOException closedMeanwhile) {
            // the server may close before the last write
        }
        Frame.Error error = errorClosedWith(peer);
        assertEquals(ErrorCode.FLOW_CONTROL_ERROR, error.code(), error.message());
        assertStillServes(good);
    }

    // --- time ---

    @Test
    void aFrameLeftUnfinishedIsClosedAfterTheFrameTimeout() throws Exception {
        Server server = server(ServerLimits.defaults().withFrameTimeout(Duration.ofMillis(300)));
        Client good = connect(server);
        RawPeer peer = rawPeer(server).handshake();
        // The header of a 1 MiB publish and ten bytes of it, then nothing.
        peer.write(ByteBuffer.allocate(FrameLayout.HEADER_LENGTH + 10).putInt(1 << 20).put((byte) 0x22).put((byte) 0)
                .putInt(0).put(new byte[10]).array());
        long t0 = System.nanoTime();
        assertTrue(server.memoryInUse() < 512 * 1024, "a declared 1 MiB costs what arrived, not "
                + server.memoryInUse() + " bytes");
        Frame.Error error = errorClosedWith(peer);
        assertEquals(ErrorCode.FRAME_TIMEOUT, error.code(), error.message());
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) >= 250);
        assertStillServes(good);
    }

    @Test
    void aSilentPeerThatPromisedNoHeartbeatsIsClosedAfterTheIdleTimeout() throws Exception {
        Server server = server(ServerLimits.defaults().withIdleTimeout(Duration.ofMillis(400)));
        Client good = connect(server, b -> b.setting(Setting.HEARTBEAT_INTERVAL, 100));
        RawPeer peer = rawPeer(server).handshake(Settings.builder().set(Setting.HEARTBEAT_INTERVAL, 0).build());
        long t0 = System.nanoTime();
        Frame.Error error = errorClosedWith(peer);
        assertEquals(ErrorCode.KEEPALIVE_TIMEOUT, error.code(), error.message());
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) >= 350);
        assertStillServes(good); // it pings, so it is never idle
    }

    @Test
    void aLivePeerWithoutHeartbeatsOfItsOwnIsKeptByTheServersPings() throws Exception {
        Server server = server(ServerLimits.defaults().withIdleTimeout(Duration.ofMillis(500)),
                b -> b.setting(Setting.HEARTBEAT_INTERVAL, 100));
        Client quiet = connect(server, b -> b.setting(Setting.HEARTBEAT_INTERVAL, 0));
        assertStillServes(quiet);
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500);
        await().atMost(Duration.ofSeconds(10)).until(() -> System.nanoTime() > until);
        assertEquals(1, server.connectionCount());
        assertStillServes(quiet);
    }

    // --- control frames ---

    @Test
    void pongsOwedBeforeAPingFloodIsRefusedAreAllSent() throws Exception {
        Server server = server(ServerLimits.defaults().withMaxPingsPerSecond(100));
        Client good = connect(server);
        RawPeer peer = rawPeer(server).handshake();
        ByteBuffer pings = ByteBuffer.allocate(300 * 18);
        for (int i = 0; i < 300; i++) {
            pings.put(FrameEncoder.encode(new Frame.Ping(i)));
        }
        peer.write(pings.array());
        int pongs = 0;
        Frame.Error error = null;
        for (Frame f : peer.readUntilClosed()) {
            if (f instanceof Frame.Pong) {
                pongs++;
            } else if (f instanceof Frame.Error e) {
                error = e;
            }
        }
        assertTrue(error != null && error.code() == ErrorCode.ENHANCE_YOUR_CALM, String.valueOf(error));
        assertEquals(100, pongs, "every PONG owed before the limit goes out ahead of the ERROR");
        assertStillServes(good);
    }

    @Test
    void aPeerThatMakesAnswersPileUpWithoutReadingThemIsClosed() throws Exception {
        Server server = server(ServerLimits.defaults().withMaxPingsPerSecond(10_000_000)
                .withMaxControlBytesPerConnection(16 * 1024));
        Client good = connect(server);
        RawPeer peer = rawPeer(server).handshake();
        byte[] burst = new byte[10_000 * 18];
        ByteBuffer b = ByteBuffer.wrap(burst);
        for (int i = 0; i < 10_000; i++) {
            b.put(FrameEncoder.encode(new Frame.Ping(i)));
        }
        try {
            for (int i = 0; i < 100; i++) { // 18 MB of PINGs, never reading a PONG
                peer.write(burst);
            }
        } catch (IOException closed) {
            // closed by the server: what this test waits for
        }
        Frame.Error error = errorClosedWith(peer);
        assertEquals(ErrorCode.ENHANCE_YOUR_CALM, error.code(), error.message());
        assertTrue(error.message().contains("does not read"), error.message());
        assertStillServes(good);
    }

    @Test
    void aPeerThatHalfClosesMidFrameIsToldTruncatedFrameEveryTime() throws Exception {
        Server server = server(ServerLimits.defaults());
        Client good = connect(server);
        byte[] call = FrameEncoder.encode(new Frame.Call(1, MethodType.UNARY, -1, ECHO.fullName(), Metadata.EMPTY));
        for (int i = 0; i < 20; i++) {
            RawPeer peer = rawPeer(server).handshake();
            peer.write(java.util.Arrays.copyOf(call, call.length - 3));
            peer.shutdownOutput();
            Frame.Error error = errorClosedWith(peer);
            assertEquals(ErrorCode.TRUNCATED_FRAME, error.code(), "attempt " + i + ": " + error.message());
            peer.close();
        }
        assertStillServes(good);
    }

    // --- what a status, a name or a frame may hold ---

    @Test
    void aHugeStatusMessageIsCutAndItsStreamIsFreed() {
        Server server = server(ServerLimits.defaults());
        Client client = connect(server);
        int calls = Settings.defaults().maxConcurrentStreams() + 100; // more than the streams a leak could take
        for (int i = 0; i < calls; i++) {
            StatusException e = assertThrows(StatusException.class, () -> client.call(LOUD, "x"));
            assertEquals(StatusCode.FAILED_PRECONDITION, e.status().code());
            assertEquals(FrameLayout.MAX_STATUS_MESSAGE_BYTES, e.status().description().length());
        }
        assertStillServes(client);
    }

    @Test
    void aLegalLongUnknownMethodNameIsUnimplementedAndTheConnectionCarriesOn() throws Exception {
        Server server = server(ServerLimits.defaults(), b -> b.setting(Setting.MAX_FRAME_SIZE, 1 << 20));
        RawPeer peer = rawPeer(server).handshake();
        String name = "a." + "b".repeat(65_526) + "/c"; // 65,530 bytes
        peer.send(new Frame.Call(1, MethodType.UNARY, -1, name, Metadata.EMPTY));
        Frame.Status status = (Frame.Status) peer.readFrame().orElseThrow();
        assertEquals(StatusCode.UNIMPLEMENTED, status.code());
        assertTrue(status.message().length() < 200, status.message());
        peer.send(new Frame.Ping(3));
        assertEquals(new Frame.Pong(3), peer.readFrame().orElseThrow());
    }

    @Test
    void metadataTheServerWouldRefuseFailsTheCallBeforeItIsSent() {
        Server server = server(ServerLimits.defaults(), b -> b.setting(Setting.MAX_METADATA_SIZE, 1024));
        Client client = connect(server);
        Metadata big = Metadata.builder().put("k", "v".repeat(2000)).build();
        StatusException e = assertThrows(StatusException.class,
                () -> client.call(ECHO, "x", CallOptions.DEFAULT.withMetadata(big)));
        assertEquals(StatusCode.RESOURCE_EXHAUSTED, e.status().code());
        assertTrue(e.status().description().contains("1024"), e.status().description());
        assertStillServes(client);
    }

    // --- faults that end one call ---

    /** A thread of the kind a test's parameter names: callers come as both. */
    private static Thread start(boolean platform, Runnable task) {
        return platform ? Thread.ofPlatform().daemon(true).start(task) : Thread.ofVirtual().start(task);
    }

    @ParameterizedTest(name = "platform caller: {0}")
    @ValueSource(booleans = {true, false})
    void interruptingACallerCancelsItsCallOnly(boolean platform) throws Exception {
        Server server = server(ServerLimits.defaults());
        Client client = connect(server);
        CompletableFuture<String> other = client.callAsync(SLOW, "other");
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread caller = start(platform, () -> {
            try {
                client.call(SLOW, "interrupted");
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> caller.getState() == Thread.State.WAITING
                || caller.getState() == Thread.State.TIMED_WAITING);
        caller.interrupt();
        caller.join(10_000);
        StatusException e = (StatusException) failure.get();
        assertEquals(StatusCode.CANCELLED, e.status().code());
        assertTheOtherCallAndTheConnectionCarryOn(server, client, other);
    }

    /** The slow call that ran beside the interrupted one completes, on the same connection. */
    private void assertTheOtherCallAndTheConnectionCarryOn(Server server, Client client, CompletableFuture<String> other)
            throws Exception {
        slowRelease.countDown();
        assertEquals("other", other.get(10, TimeUnit.SECONDS));
        assertStillServes(client);
        assertEquals(1, server.connectionCount(), "the same connection, not a reconnect");
    }

    @ParameterizedTest(name = "platform caller: {0}")
    @ValueSource(booleans = {true, false})
    void aThreadThatIsInterruptedWhenItCallsDoesNotCloseTheConnection(boolean platform) throws Exception {
        Server server = server(ServerLimits.defaults());
        Client client = connect(server);
        CompletableFuture<String> other = client.callAsync(SLOW, "other");
        AtomicReference<Throwable> outcome = new AtomicReference<>();
        start(platform, () -> {
            Thread.currentThread().interrupt();
            try {
                client.call(ECHO, "flagged");
            } catch (Throwable t) {
                outcome.set(t);
            }
        }).join(10_000);
        assertTheOtherCallAndTheConnectionCarryOn(server, client, other);
    }

    @ParameterizedTest(name = "platform reader: {0}")
    @ValueSource(booleans = {true, false})
    void interruptingAThreadThatReadsAStreamCancelsThatStreamOnly(boolean platform) throws Exception {
        assumeCapability(TransportCapability.RELIABLE_ORDERED); // a stream
        Server server = server(ServerLimits.defaults());
        Client client = connect(server);
        ClientCall<byte[], byte[]> other = client.newCall(HOLD, CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(20)));
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread reader = start(platform, () -> {
            try (ClientCall<byte[], byte[]> call = client.newCall(HOLD, CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(20)))) {
                call.send(new byte[10]);
                call.receive(); // the handler never answers
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> reader.getState() == Thread.State.WAITING);
        reader.interrupt();
        reader.join(10_000);
        assertEquals(StatusCode.CANCELLED, ((StatusException) failure.get()).status().code());
        other.send(new byte[10]); // the other stream on the connection is untouched
        other.cancel("done");
        assertStillServes(client);
        assertEquals(1, server.connectionCount());
    }

    @Test
    void aHandlerThatSendsWithItsThreadInterruptedKeepsTheConnection() throws Exception {
        assumeCapability(TransportCapability.RELIABLE_ORDERED); // a stream
        Server server = server(ServerLimits.defaults());
        Client client = connect(server);
        List<String> got = new ArrayList<>();
        try (ClientCall<String, String> call = client.newCall(INTERRUPTED_SENDER, CallOptions.DEFAULT)) {
            call.sendLast("m");
            call.responses().forEach(got::add);
        }
        assertEquals(List.of("m1", "m2", "m3"), got);
        assertStillServes(client);
        assertEquals(1, server.connectionCount());
    }

    @Test
    void cancelledStreamsGiveTheirCreditBackWhateverTheHandlerTook() throws Exception {
        Server server = server(ServerLimits.defaults());
        Client good = connect(server);
        RawPeer peer = rawPeer(server).handshake();
        byte[] chunk = new byte[60_000]; // four to a stream window
        // Each call's handler takes its first message once all four are in its queue (a PING behind them
        // is the fence: frames are processed in order), so the other three wait in the handler's hands,
        // taken from the queue but not handed out; then the call is cancelled. 50 calls move 12 MB,
        // more than the 8 MiB connection window: had the credit of what the handlers held not come back
        // with the cancel, the server would find this peer over its credit.
        for (int i = 0; i < 50; i++) {
            int stream = 2 * i + 1;
            peer.send(new Frame.Call(stream, MethodType.BIDI_STREAMING, -1, TAKE_ONE.fullName(), Metadata.EMPTY));
            for (int m = 0; m < 4; m++) {
                peer.send(Frame.Message.whole(stream, chunk));
            }
            peer.send(new Frame.Ping(i));
            awaitPong(peer, i);
            mayTake.release();
            assertTrue(took.tryAcquire(10, TimeUnit.SECONDS));
            peer.send(new Frame.Cancel(stream, StatusCode.CANCELLED, "done with it"));
        }
        peer.send(new Frame.Ping(-1));
        awaitPong(peer, -1);
        assertEquals(2, server.connectionCount());
        assertStillServes(good);
    }

    /** Reads the peer's frames until the PONG for {@code id}; an ERROR on the way fails the test. */
    private static void awaitPong(RawPeer peer, long id) throws IOException {
        while (true) {
            Frame f = peer.readFrame().orElseThrow(() -> new AssertionError("closed before PONG " + id));
            if (f instanceof Frame.Error e) {
                throw new AssertionError("closed with " + e.code() + ": " + e.message());
            }
            if (f instanceof Frame.Pong p && p.payload() == id) {
                return;
            }
        }
    }

    // --- publish/subscribe ---

    @Test
    void aDeliveryTooLargeForTheSubscribersFramesIsAGapAndTheSubscriberStays() throws Exception {
        Server server = server(ServerLimits.defaults());
        Client subscriber = connect(server, b -> b.setting(Setting.MAX_FRAME_SIZE, 16_384));
        Client publisher = connect(server);
        List<Delivery> seen = new CopyOnWriteArrayList<>();
        closeLater(subscriber.subscribe("big", SubscribeOptions.DEFAULT,
                Subscription.Listener.of(seen::add, seen::add)));
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> publisher.publishAcked("big", new byte[20_000], Metadata.EMPTY).get(10, TimeUnit.SECONDS));
        assertEquals(StatusCode.RESOURCE_EXHAUSTED, ((StatusException) e.getCause()).status().code());
        publisher.publishAcked("big", "small".getBytes(StandardCharsets.UTF_8), Metadata.EMPTY).get(10, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 2);
        assertEquals(new Gap(0, 1, Gap.Reason.TOO_LARGE), seen.get(0));
        assertEquals(2, ((Message) seen.get(1)).sequence());
        assertEquals(2, server.connectionCount());
    }

    @Test
    void aSubscriptionAskingForALargerQueueThanTheServerAllowsGetsTheServersBound() throws Exception {
        // Broker queues fill only where subscriber credit crosses the network (not over datagrams).
        assumeCapability(TransportCapability.RELIABLE_ORDERED);
        Server server = server(ServerLimits.defaults().withMaxSubscriptionQueue(3, 1 << 20));
        Client subscriber = connect(server);
        Client publisher = connect(server);
        PubSubConformance.StalledListener l = new PubSubConformance.StalledListener();
        closeLater(subscriber.subscribe("feed", SubscribeOptions.DEFAULT.withOverflow(OverflowPolicy.DROP_NEWEST)
                .withMaxMessages(1000).withPrefetch(1), l));
        publisher.publishAcked("feed", new byte[1], Metadata.EMPTY).get(10, TimeUnit.SECONDS);
        assertTrue(l.holding.await(10, TimeUnit.SECONDS)); // message 1 is in the listener's hands
        for (int i = 2; i <= 10; i++) {
            publisher.publishAcked("feed", new byte[1], Metadata.EMPTY).get(10, TimeUnit.SECONDS);
        }
        l.release.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> l.accountedSequences().size() == 10);
        assertEquals(PubSubConformance.range(1, 4), l.messageSequences(), "three queued, as the server allows");
        assertEquals(List.of(new Gap(4, 6, Gap.Reason.DROPPED_NEWEST)), l.gaps());
    }

    @Test
    void deliveriesQueuedForOneConnectionAreBoundedTogether() throws Exception {
        // Broker queues fill only where subscriber credit crosses the network (not over datagrams).
        assumeCapability(TransportCapability.RELIABLE_ORDERED);
        Server server = server(ServerLimits.defaults().withMaxSubscriptionBytesPerConnection(8 * 1024));
        Client subscriber = connect(server);
        Client publisher = connect(server);
        List<PubSubConformance.StalledListener> listeners = new ArrayList<>();
        for (String topic : List.of("a", "b")) {
            PubSubConformance.StalledListener l = new PubSubConformance.StalledListener();
            listeners.add(l);
            // Each asks for 1 MiB of queue: the connection's bound, 8 KiB, is what holds.
            closeLater(subscriber.subscribe(topic, SubscribeOptions.DEFAULT.withOverflow(OverflowPolicy.DROP_NEWEST)
                    .withMaxBytes(1 << 20).withPrefetch(1), l));
            publisher.publishAcked(topic, new byte[1], Metadata.EMPTY).get(10, TimeUnit.SECONDS);
            assertTrue(l.holding.await(10, TimeUnit.SECONDS));
        }
        for (int i = 0; i < 20; i++) {
            for (String topic : List.of("a", "b")) {
                publisher.publishAcked(topic, new byte[1000], Metadata.EMPTY).get(10, TimeUnit.SECONDS);
            }
        }
        listeners.forEach(l -> l.release.countDown());
        for (PubSubConformance.StalledListener l : listeners) {
            await().atMost(Duration.ofSeconds(10)).until(() -> l.accountedSequences().size() == 21);
        }
        int queued = listeners.stream().mapToInt(l -> l.messageSequences().size() - 1).sum();
        assertTrue(queued >= 4 && queued <= 9, queued + " of 40 one-kilobyte messages fit the 8 KiB the connection may hold");
        assertTrue(listeners.stream().allMatch(l -> !l.gaps().isEmpty()), "each subscription reports what it lost");
    }

    @Test
    void aStalledBlockSubscriberNeverHoldsUpItsPublishersConnection() throws Exception {
        // Broker queues fill only where subscriber credit crosses the network (not over datagrams).
        assumeCapability(TransportCapability.RELIABLE_ORDERED);
        Server server = server(ServerLimits.defaults().withMaxBlockTime(Duration.ofMillis(400)));
        Client subscriber = connect(server);
        Client publisher = connect(server);
        CountDownLatch never = new CountDownLatch(1);
        CountDownLatch holding = new CountDownLatch(1);
        closeLater(subscriber.subscribe("stuck", SubscribeOptions.DEFAULT.withOverflow(OverflowPolicy.BLOCK)
                        .withMaxMessages(1).withPrefetch(1).withBlockTimeout(Duration.ofSeconds(60)),
                Subscription.Listener.of(m -> {
                    holding.countDown();
                    try {
                        never.await(20, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, g -> { })));
        publisher.publish("stuck", new byte[1]);
        assertTrue(holding.await(10, TimeUnit.SECONDS));
        for (int i = 0; i < 5; i++) {
            publisher.publish("stuck", new byte[1]); // these wait at the broker for a subscriber that never reads
        }
        // Meanwhile the publisher's connection answers at once.
        for (int i = 0; i < 5; i++) {
            Duration rtt = publisher.ping();
            assertTrue(rtt.toMillis() < 1000, "PING took " + rtt);
            assertStillServes(publisher);
        }
        // And an acknowledged publish fails after the server's cap, not the 60 s the subscriber asked for.
        long t0 = System.nanoTime();
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> publisher.publishAcked("stuck", new byte[1], Metadata.EMPTY).get(30, TimeUnit.SECONDS));
        assertEquals(StatusCode.RESOURCE_EXHAUSTED, ((StatusException) e.getCause()).status().code());
        assertTrue(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0) < 20);
        never.countDown();
    }

    @Test
    void aServerAnnouncesAnEightMebibytePublishWindowUnlessToldOtherwise() throws Exception {
        RawPeer byDefault = rawPeer(server(ServerLimits.defaults())).handshake();
        assertEquals(8 << 20, byDefault.serverHello().settings().publishWindow());
        RawPeer told = rawPeer(server(ServerLimits.defaults(), b -> b.setting(Setting.PUBLISH_WINDOW, 64 * 1024)))
                .handshake();
        assertEquals(64 * 1024, told.serverHello().settings().publishWindow());
    }

    @Test
    void aPublisherThatIgnoresPublishCreditIsAFlowControlError() throws Exception {
        Server server = server(ServerLimits.defaults().withMaxBlockTime(Duration.ofSeconds(20)),
                b -> b.setting(Setting.PUBLISH_WINDOW, 16 * 1024));
        Client good = connect(server);
        Client subscriber = connect(server);
        CountDownLatch never = new CountDownLatch(1);
        closeLater(subscriber.subscribe("held", SubscribeOptions.DEFAULT.withOverflow(OverflowPolicy.BLOCK)
                        .withMaxMessages(1).withPrefetch(1).withBlockTimeout(Duration.ofSeconds(20)),
                Subscription.Listener.of(m -> {
                    try {
                        never.await(20, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, g -> { })));
        RawPeer peer = rawPeer(server).handshake();
        byte[] body = new byte[1000];
        try {
            for (int i = 0; i < 100; i++) { // 100 KB of publishes against a 16 KiB window
                peer.send(new Frame.Publish(0, "held", "", Metadata.EMPTY, body));
            }
        } catch (IOException closed) {
            // closed by the server
        }
        Frame.Error error = errorClosedWith(peer);
        assertEquals(ErrorCode.FLOW_CONTROL_ERROR, error.code(), error.message());
        assertTrue(error.message().contains("publish credit"), error.message());
        never.countDown();
        assertStillServes(good);
    }

    @Test
    void publishMetadataAboveTheServersLimitIsRefused() throws Exception {
        Server server = server(ServerLimits.defaults(), b -> b.setting(Setting.MAX_METADATA_SIZE, 1024));
        Client client = connect(server);
        Metadata big = Metadata.builder().put("k", "v".repeat(2000)).build();
        StatusException e = assertThrows(StatusException.class, () -> client.publish("t", new byte[1], big));
        assertEquals(StatusCode.RESOURCE_EXHAUSTED, e.status().code());

        RawPeer peer = rawPeer(server).handshake();
        peer.send(new Frame.Publish(5, "t", "", big, new byte[1]));
        Frame.Ack ack = (Frame.Ack) peer.readFrame().orElseThrow();
        assertEquals(StatusCode.RESOURCE_EXHAUSTED, ack.code());
        assertTrue(ack.message().contains("1024"), ack.message());
        peer.send(new Frame.Ping(1));
        assertEquals(new Frame.Pong(1), peer.readFrame().orElseThrow());
    }
}
