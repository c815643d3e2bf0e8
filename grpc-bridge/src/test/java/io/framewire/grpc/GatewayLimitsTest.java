package io.framewire.grpc;

import static io.framewire.grpc.TestMethods.CHUNK;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framewire.testing.LeakCheckExtension;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptors;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway's bounds: its memory budget over all calls, and grpc-netty's own limits, against hostile
 * clients on loopback, with a well-behaved client served meanwhile.
 */
@Timeout(20)
@ExtendWith(LeakCheckExtension.class)
class GatewayLimitsTest {
    private static final Duration WAIT = Duration.ofSeconds(8);

    @TempDir
    Path dir;

    /** A Framewire backend over unix, a gateway configured by {@code options} in front of it, a channel to it. */
    private final class Rig implements AutoCloseable {
        final FramewireBackend backend;
        final GrpcGateway gateway;
        final ManagedChannel channel;
        final List<ManagedChannel> others = new ArrayList<>();

        Rig(UnaryOperator<GrpcGateway.Builder> options) {
            this("unix", options);
        }

        /** With its backend over {@code backendTransport}: two rigs at once need a unix one and a tcp one. */
        Rig(String backendTransport, UnaryOperator<GrpcGateway.Builder> options) {
            backend = new FramewireBackend(TestMethods.framewireAddress(backendTransport, dir));
            gateway = options.apply(GrpcGateway.builder(backend.address()).bindAddress("127.0.0.1").port(0)).build().start();
            channel = newChannel();
        }

        ManagedChannel newChannel() {
            ManagedChannel c = GrpcGatewayTest.channelTo(gateway);
            others.add(c);
            return c;
        }

        /** A call of the well-behaved client, on a connection of its own. */
        void wellBehavedCallsWork() {
            assertEquals("echo:fine", ClientCalls.blockingUnaryCall(channel, TestMethods.G_UNARY,
                    GrpcGatewayTest.tenSeconds(), "fine"));
            Iterator<String> parts = ClientCalls.blockingServerStreamingCall(channel, TestMethods.G_SPLIT,
                    GrpcGatewayTest.tenSeconds(), "a,b");
            List<String> got = new ArrayList<>();
            parts.forEachRemaining(got::add);
            assertEquals(List.of("a", "b"), got);
        }

        void awaitNoMemoryHeld() {
            await().atMost(WAIT).until(() -> gateway.memoryInUse() == 0);
        }

        @Override
        public void close() throws InterruptedException {
            for (ManagedChannel c : others) {
                GrpcGatewayTest.shutdown(c);
            }
            gateway.close();
            backend.close();
        }
    }

    /** A gRPC call of the test's, started: its first response and its end. */
    private static final class Started {
        final ClientCall<?, ?> call;
        final CompletableFuture<Object> first = new CompletableFuture<>();
        final CompletableFuture<Status> closed = new CompletableFuture<>();

        private <Req, Resp> Started(ManagedChannel channel, io.grpc.MethodDescriptor<Req, Resp> method, CallOptions options,
                                    int request, Req send) {
            ClientCall<Req, Resp> c = channel.newCall(method, options);
            this.call = c;
            c.start(new ClientCall.Listener<>() {
                @Override
                public void onMessage(Resp message) {
                    first.complete(message);
                }

                @Override
                public void onClose(Status status, Metadata trailers) {
                    closed.complete(status);
                    first.completeExceptionally(status.asRuntimeException());
                }
            }, new Metadata());
            if (request > 0) {
                c.request(request);
            }
            if (send != null) {
                c.sendMessage(send);
                c.halfClose();
            }
        }

        /** A Hold call: the backend answers "started" and holds it until it ends. */
        static Started hold(ManagedChannel channel, CallOptions options) {
            return new Started(channel, TestMethods.G_HOLD, options, 1, null);
        }

        /** A 64 MiB Firehose whose client reads nothing. */
        static Started unreadFirehose(ManagedChannel channel) {
            return new Started(channel, TestMethods.G_FIREHOSE, CallOptions.DEFAULT, 0, new byte[0]);
        }

        void cancel() {
            call.cancel("the test is done with it", null);
        }
    }

    // --- the memory budget ---

    @Test
    void theMemoryACallHoldsGoesBackHoweverItEnds() throws Exception {
        try (Rig rig = new Rig(b -> b)) {
            rig.wellBehavedCallsWork(); // completed
            rig.awaitNoMemoryHeld();

            Started cancelled = Started.hold(rig.channel, CallOptions.DEFAULT);
            assertEquals("started", cancelled.first.get(5, TimeUnit.SECONDS));
            assertTrue(rig.gateway.memoryInUse() > 0, "an open call holds memory");
            cancelled.cancel();
            assertEquals(Status.Code.CANCELLED, cancelled.closed.get(5, TimeUnit.SECONDS).getCode());
            rig.awaitNoMemoryHeld();

            Started expired = Started.hold(rig.channel, CallOptions.DEFAULT.withDeadlineAfter(300, TimeUnit.MILLISECONDS));
            assertEquals(Status.Code.DEADLINE_EXCEEDED, expired.closed.get(5, TimeUnit.SECONDS).getCode());
            rig.awaitNoMemoryHeld();

            StatusRuntimeException failed = assertThrows(StatusRuntimeException.class, () -> ClientCalls.blockingUnaryCall(
                    rig.channel, TestMethods.G_FAIL, GrpcGatewayTest.tenSeconds(), "INTERNAL:the backend failed"));
            assertEquals(Status.Code.INTERNAL, failed.getStatus().getCode());
            rig.awaitNoMemoryHeld();

            ManagedChannel leaving = rig.newChannel();
            Started disconnected = Started.hold(leaving, CallOptions.DEFAULT);
            assertEquals("started", disconnected.first.get(5, TimeUnit.SECONDS));
            leaving.shutdownNow(); // the client goes away without a word
            rig.awaitNoMemoryHeld();

            Started streaming = Started.unreadFirehose(rig.channel);
            await().atMost(WAIT).until(() -> rig.gateway.memoryInUse() > CHUNK); // responses held for a client not reading
            streaming.cancel();
            rig.awaitNoMemoryHeld();
        }
    }

    @Test
    void theMemoryOfACallToAnUnreachableBackendGoesBack() throws Exception {
        String nobody = "unix://" + dir.resolve("nobody.sock");
        try (GrpcGateway gateway = GrpcGateway.builder(nobody).bindAddress("127.0.0.1").port(0)
                .connectTimeout(Duration.ofSeconds(1)).build().start()) {
            ManagedChannel channel = GrpcGatewayTest.channelTo(gateway);
            try {
                StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> ClientCalls.blockingUnaryCall(
                        channel, TestMethods.G_UNARY, GrpcGatewayTest.tenSeconds(), "anyone?"));
                assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
                // The call's share goes back when gRPC reports it complete on the server, which may be
                // just after the client has read its status.
                await().atMost(Duration.ofSeconds(10)).until(() -> gateway.memoryInUse() == 0);
            } finally {
                GrpcGatewayTest.shutdown(channel);
            }
        }
    }

    @Test
    void aSpentBudgetRefusesNewCallsAndStopsPullingUntilMemoryComesBack() throws Exception {
        long budget = 1L << 20;
        int hogs = 8;
        try (Rig rig = new Rig(b -> b.memoryBudget(budget))) {
            ManagedChannel hostile = rig.newChannel();
            List<Started> calls = new ArrayList<>();
            for (int i = 0; i < hogs; i++) {
                calls.add(Started.unreadFirehose(hostile));
            }
            Flow.awaitStalled(rig.backend.firehoseSent);
            long held = rig.gateway.memoryInUse();
            System.out.printf("gateway budget %d: %d calls not reading hold %d bytes%n", budget, hogs, held);
            // Past the budget by at most one message a call: what each asked for before it was spent.
            assertTrue(held <= budget + hogs * (long) CHUNK, "the gateway holds " + held + " bytes");

            StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> ClientCalls.blockingUnaryCall(
                    rig.channel, TestMethods.G_UNARY, GrpcGatewayTest.tenSeconds(), "late"));
            assertEquals(Status.Code.RESOURCE_EXHAUSTED, refused.getStatus().getCode());
            assertTrue(refused.getStatus().getDescription().contains("memory budget of 1024 KiB is spent"),
                    refused.getStatus().getDescription());

            calls.forEach(Started::cancel);
            rig.awaitNoMemoryHeld();
            rig.wellBehavedCallsWork();
        }
    }

    // --- grpc-netty's limits, against hostile clients ---

    @Test
    void callsOnOneConnectionThatNeverReadAreHeldToItsLimitWhileOthersAreServed() throws Exception {
        try (Rig rig = new Rig(b -> b.maxConcurrentCallsPerConnection(4))) {
            ManagedChannel hostile = rig.newChannel();
            List<Started> calls = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                calls.add(Started.unreadFirehose(hostile));
            }
            await().atMost(WAIT).until(() -> rig.backend.running.get() == 4);
            Flow.awaitStalled(rig.backend.firehoseSent);
            rig.wellBehavedCallsWork();
            assertEquals(4, rig.backend.mostRunning.get(), "calls the backend ran at once for one connection");
            calls.forEach(Started::cancel);
            rig.awaitNoMemoryHeld();
        }
    }

    @Test
    void callsThatNeverSendAndAConnectionThatNeverHandshakesAreBounded() throws Exception {
        try (Rig rig = new Rig(b -> b.maxConcurrentCallsPerConnection(4).handshakeTimeout(Duration.ofMillis(500)));
             Socket silent = new Socket("127.0.0.1", rig.gateway.port())) {
            ManagedChannel hostile = rig.newChannel();
            List<Started> calls = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                calls.add(new Started(hostile, TestMethods.G_HOLD, CallOptions.DEFAULT, 0, null)); // opens, sends nothing
            }
            await().atMost(WAIT).until(() -> rig.backend.running.get() == 4);
            rig.wellBehavedCallsWork();
            assertEquals(4, rig.backend.mostRunning.get());

            long start = System.nanoTime();
            silent.setSoTimeout(5_000);
            assertTrue(closedByPeer(silent.getInputStream()), "the silent connection was closed");
            System.out.printf("a connection that never sent its preface was closed after %d ms%n",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            calls.forEach(Started::cancel);
            rig.awaitNoMemoryHeld();
        }
    }

    /** Reads (the server's SETTINGS, a GOAWAY) until the peer closes; false if it is still open after the timeout. */
    private static boolean closedByPeer(InputStream in) throws IOException {
        byte[] buffer = new byte[1024];
        try {
            while (in.read(buffer) >= 0) {
                // what the server says before it closes
            }
            return true;
        } catch (java.net.SocketTimeoutException e) {
            return false;
        } catch (SocketException e) {
            return true; // reset
        }
    }

    @Test
    void oversizeMetadataFailsItsCallOnly() throws Exception {
        try (Rig rig = new Rig(b -> b.maxMetadataSize(2048))) {
            Metadata big = new Metadata();
            big.put(Metadata.Key.of("x-big", Metadata.ASCII_STRING_MARSHALLER), "a".repeat(4000));
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> ClientCalls.blockingUnaryCall(
                    ClientInterceptors.intercept(rig.channel, MetadataUtils.newAttachHeadersInterceptor(big)),
                    TestMethods.G_UNARY, GrpcGatewayTest.tenSeconds(), "too much"));
            System.out.println("oversize metadata: " + e.getStatus());
            assertNotEquals(Status.Code.OK, e.getStatus().getCode());
            assertNull(rig.backend.requestMetadata.get(), "the call never reached the backend");
            rig.wellBehavedCallsWork(); // the same connection goes on
            rig.awaitNoMemoryHeld();
        }
    }

    @Test
    void anIdleConnectionIsClosed() throws Exception {
        try (Rig rig = new Rig(b -> b.maxConnectionIdle(Duration.ofSeconds(1)))) {
            rig.wellBehavedCallsWork();
            assertEquals(ConnectivityState.READY, rig.channel.getState(false));
            await().atMost(WAIT).until(() -> rig.channel.getState(false) == ConnectivityState.IDLE);
        }
    }

    @Test
    @Timeout(30)
    void aPeerThatStopsAnsweringIsClosedByKeepalive() throws Exception {
        // gRPC raises a keepalive time below 10 s to 10 s: this test takes about 11 s.
        try (Rig rig = new Rig(b -> b.keepAlive(Duration.ofSeconds(10), Duration.ofSeconds(1)));
             Socket mute = new Socket("127.0.0.1", rig.gateway.port())) {
            // An HTTP/2 client's preface and an empty SETTINGS frame, then nothing, not even a PING's ack.
            mute.getOutputStream().write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            mute.getOutputStream().write(new byte[] {0, 0, 0, 4, 0, 0, 0, 0, 0});
            mute.getOutputStream().flush();
            mute.setSoTimeout(15_000);
            long start = System.nanoTime();
            assertTrue(closedByPeer(mute.getInputStream()), "the mute peer's connection was closed");
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            System.out.printf("a peer that stopped answering was closed after %d ms%n", ms);
            assertTrue(ms >= 9_000, "closed by keepalive, not by something sooner: " + ms + " ms");
            rig.wellBehavedCallsWork();
        }
    }

    @Test
    @Timeout(90)
    void permitKeepAliveTimeDecidesWhetherAClientsPingsAreTooMany() throws Exception {
        // gRPC raises a client's keepalive time below 10 s to 10 s, and its server forgives a ping that
        // comes too soon before the next one closes the connection: this test takes about 35 s.
        try (Rig strict = new Rig("unix", b -> b.permitKeepAliveTime(Duration.ofMinutes(1)));
             Rig lenient = new Rig("tcp", b -> b.permitKeepAliveTime(Duration.ofSeconds(5)))) {
            Started tooOften = Started.hold(pingingEveryTenSeconds(strict), CallOptions.DEFAULT);
            Started permitted = Started.hold(pingingEveryTenSeconds(lenient), CallOptions.DEFAULT);
            assertEquals("started", tooOften.first.get(5, TimeUnit.SECONDS));
            assertEquals("started", permitted.first.get(5, TimeUnit.SECONDS));
            long start = System.nanoTime();
            Status end = tooOften.closed.get(75, TimeUnit.SECONDS);
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            System.out.printf("a client pinging every 10 s (1 min permitted) lost its connection after %d ms: %s%n", ms, end);
            assertTrue(String.valueOf(end.getDescription()).contains("too_many_pings"), end.toString());
            assertTrue(ms >= 15_000, "closed for its pings, not by something sooner: " + ms + " ms");
            // The same pings, where every 5 s is permitted, are fine: a third and a fourth go by.
            await().during(Duration.ofSeconds(12)).atMost(Duration.ofSeconds(20)).until(() -> !permitted.closed.isDone());
            strict.wellBehavedCallsWork();
        }
    }

    /** A channel to the rig's gateway whose client PINGs every 10 s while a call is open (gRPC's least). */
    private static ManagedChannel pingingEveryTenSeconds(Rig rig) {
        ManagedChannel c = io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder
                .forAddress("127.0.0.1", rig.gateway.port()).usePlaintext().keepAliveTime(10, TimeUnit.SECONDS).build();
        rig.others.add(c);
        return c;
    }

    @Test
    void aClientThatResetsStreamsRapidlyLosesItsConnectionOnly() throws Exception {
        try (Rig rig = new Rig(b -> b.maxResetsPerWindow(10, Duration.ofSeconds(10)))) {
            ManagedChannel hostile = rig.newChannel();
            Started bystander = Started.hold(hostile, CallOptions.DEFAULT);
            assertEquals("started", bystander.first.get(5, TimeUnit.SECONDS));
            for (int i = 0; i < 50 && !bystander.closed.isDone(); i++) {
                Started reset = Started.hold(hostile, CallOptions.DEFAULT);
                try {
                    reset.first.get(5, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    break; // the connection is gone already
                }
                reset.cancel();
            }
            Status end = bystander.closed.get(5, TimeUnit.SECONDS);
            System.out.println("rapid reset: the connection's other call ended " + end);
            // grpc-java's client reads GOAWAY ENHANCE_YOUR_CALM as RESOURCE_EXHAUSTED
            assertEquals(Status.Code.RESOURCE_EXHAUSTED, end.getCode());
            assertTrue(end.getDescription().contains("too_many_rststreams"), end.getDescription());
            rig.wellBehavedCallsWork();
            rig.awaitNoMemoryHeld();
        }
    }

    @Test
    void aCallWaitingForTheBackendToConnectHoldsUpNoOtherCall() throws Exception {
        // A backend that accepts TCP connections and never answers the handshake: connecting waits.
        try (java.net.ServerSocket mute = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
             GrpcGateway gateway = GrpcGateway.builder("tcp://127.0.0.1:" + mute.getLocalPort()).bindAddress("127.0.0.1")
                     .port(0).connectTimeout(Duration.ofSeconds(3)).healthCheckInterval(Duration.ofMinutes(1))
                     .build().start()) {
            ManagedChannel channel = GrpcGatewayTest.channelTo(gateway); // one connection: one event loop
            try {
                CompletableFuture<String> waiting = CompletableFuture.supplyAsync(() -> ClientCalls.blockingUnaryCall(
                        channel, TestMethods.G_UNARY, GrpcGatewayTest.tenSeconds(), "wait"));
                await().atMost(WAIT).until(() -> gateway.memoryInUse() > 0); // the call is in, waiting to connect
                // The health service, on the same connection, answers meanwhile.
                var health = io.grpc.health.v1.HealthGrpc.newBlockingStub(channel).withDeadlineAfter(1, TimeUnit.SECONDS)
                        .check(io.grpc.health.v1.HealthCheckRequest.getDefaultInstance());
                assertEquals(io.grpc.health.v1.HealthCheckResponse.ServingStatus.NOT_SERVING, health.getStatus());
                assertTrue(!waiting.isDone(), "the call still waits for the backend");
                java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
                        () -> waiting.get(8, TimeUnit.SECONDS));
                assertEquals(Status.Code.UNAVAILABLE, ((StatusRuntimeException) e.getCause()).getStatus().getCode());
                await().atMost(WAIT).until(() -> gateway.memoryInUse() == 0);
            } finally {
                GrpcGatewayTest.shutdown(channel);
            }
        }
    }

    @Test
    void badLimitsAreRefusedWhenConfigured() {
        GrpcGateway.Builder b = GrpcGateway.builder("tcp://127.0.0.1:7000");
        assertThrows(IllegalArgumentException.class, () -> b.memoryBudget(1000));
        assertThrows(IllegalArgumentException.class, () -> b.maxConcurrentCallsPerConnection(0));
        assertThrows(IllegalArgumentException.class, () -> b.maxMetadataSize(0));
        assertThrows(IllegalArgumentException.class, () -> b.maxConnectionIdle(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> b.keepAlive(Duration.ofMinutes(1), Duration.ofSeconds(-1)));
        assertThrows(IllegalArgumentException.class, () -> b.permitKeepAliveTime(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> b.handshakeTimeout(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> b.maxResetsPerWindow(0, Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> b.maxResetsPerWindow(10, Duration.ofMillis(1500)));
    }
}
