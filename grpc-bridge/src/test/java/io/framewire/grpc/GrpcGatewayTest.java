package io.framewire.grpc;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framewire.protocol.StatusCode;
import io.framewire.testing.LeakCheckExtension;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A real grpc-java client, through the gateway, to a Framewire server over unix and tcp. */
@Timeout(60)
@ExtendWith(LeakCheckExtension.class)
class GrpcGatewayTest {
    /** Options of a call that may take ten seconds from now (a gRPC deadline is absolute: one per call). */
    static CallOptions tenSeconds() {
        return CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    @TempDir
    Path dir;

    /** A Framewire backend, a gateway in front of it, and a gRPC channel to the gateway. */
    static final class Rig implements AutoCloseable {
        final FramewireBackend backend;
        final GrpcGateway gateway;
        final ManagedChannel channel;

        Rig(String transport, Path dir) {
            this(transport, dir, false);
        }

        Rig(String transport, Path dir, boolean compressResponses) {
            backend = new FramewireBackend(TestMethods.framewireAddress(transport, dir));
            gateway = GrpcGateway.builder(backend.address()).bindAddress("127.0.0.1").port(0)
                    .healthCheckInterval(Duration.ofMillis(100)).compressResponses(compressResponses).build().start();
            channel = channelTo(gateway);
        }

        @Override
        public void close() throws InterruptedException {
            shutdown(channel);
            gateway.close();
            backend.close();
        }
    }

    // --- the four shapes ---

    @ParameterizedTest
    @ValueSource(strings = {"unix", "tcp"})
    void unary(String transport) throws Exception {
        try (Rig rig = new Rig(transport, dir)) {
            assertEquals("echo:hi", ClientCalls.blockingUnaryCall(rig.channel, TestMethods.G_UNARY, tenSeconds(), "hi"));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"unix", "tcp"})
    void serverStreaming(String transport) throws Exception {
        try (Rig rig = new Rig(transport, dir)) {
            Iterator<String> parts = ClientCalls.blockingServerStreamingCall(rig.channel, TestMethods.G_SPLIT, tenSeconds(), "a,b,c");
            List<String> got = new ArrayList<>();
            parts.forEachRemaining(got::add);
            assertEquals(List.of("a", "b", "c"), got);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"unix", "tcp"})
    void clientStreaming(String transport) throws Exception {
        try (Rig rig = new Rig(transport, dir)) {
            Recording<String> result = new Recording<>();
            StreamObserver<String> requests = ClientCalls.asyncClientStreamingCall(
                    rig.channel.newCall(TestMethods.G_JOIN, tenSeconds()), result);
            requests.onNext("x");
            requests.onNext("y");
            requests.onNext("z");
            requests.onCompleted();
            assertEquals(List.of("x+y+z"), result.messages());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"unix", "tcp"})
    void bidiStreaming(String transport) throws Exception {
        try (Rig rig = new Rig(transport, dir)) {
            Recording<String> replies = new Recording<>();
            StreamObserver<String> requests = ClientCalls.asyncBidiStreamingCall(
                    rig.channel.newCall(TestMethods.G_CHAT, tenSeconds()), replies);
            requests.onNext("one");
            requests.onNext("two");
            requests.onCompleted();
            assertEquals(List.of("re:one", "re:two"), replies.messages());
        }
    }

    @Test
    void gatewayOnAUnixSocketAcceptsThePathAsAuthority() throws Exception {
        Path socket = dir.resolve("gw.sock");
        EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try (FramewireBackend backend = new FramewireBackend(TestMethods.framewireAddress("unix", dir));
             GrpcGateway gateway = GrpcGateway.builder(backend.address()).unixSocket(socket).build().start()) {
            // No overrideAuthority: grpc-java sends the socket path as :authority.
            ManagedChannel channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                    .channelType(EpollDomainSocketChannel.class).eventLoopGroup(loop).usePlaintext().build();
            try {
                assertEquals("echo:over unix", ClientCalls.blockingUnaryCall(channel, TestMethods.G_UNARY, tenSeconds(), "over unix"));
                assertEquals(socket, gateway.unixSocket().orElseThrow());
            } finally {
                shutdown(channel);
            }
        } finally {
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5000);
        }
        assertFalse(socket.toFile().exists(), "the gateway removes its socket file");
    }

    // --- metadata ---

    @Test
    void metadataBothWaysAsciiAndBinaryWithoutReservedHeaders() throws Exception {
        try (Rig rig = new Rig("unix", dir)) {
            Metadata sent = new Metadata();
            sent.put(Metadata.Key.of("x-ascii", Metadata.ASCII_STRING_MARSHALLER), "hello");
            sent.put(Metadata.Key.of("x-bin", Metadata.BINARY_BYTE_MARSHALLER), new byte[] {9, 8, 0, 7});
            AtomicReference<Metadata> headers = new AtomicReference<>();
            AtomicReference<Metadata> trailers = new AtomicReference<>();
            Channel channel = ClientInterceptors.intercept(rig.channel,
                    MetadataUtils.newAttachHeadersInterceptor(sent),
                    MetadataUtils.newCaptureMetadataInterceptor(headers, trailers));

            assertEquals("echo:m", ClientCalls.blockingUnaryCall(channel, TestMethods.G_UNARY, tenSeconds(), "m"));

            io.framewire.protocol.Metadata seen = rig.backend.requestMetadata.get();
            assertEquals("hello", seen.get("x-ascii").orElseThrow());
            assertArrayEquals(new byte[] {9, 8, 0, 7}, seen.getBinary("x-bin").orElseThrow());
            for (String reserved : List.of("grpc-timeout", "user-agent", "content-type", "te", "grpc-accept-encoding",
                    ":authority", ":path", "grpc-encoding")) {
                assertFalse(seen.containsKey(reserved), reserved + " reached the Framewire handler: " + seen);
            }
            assertEquals(2, seen.size(), "only the application's metadata: " + seen);

            assertEquals("header value", headers.get().get(Metadata.Key.of("h-ascii", Metadata.ASCII_STRING_MARSHALLER)));
            assertArrayEquals(new byte[] {1, 2, 3, (byte) 0xff},
                    headers.get().get(Metadata.Key.of("h-bin", Metadata.BINARY_BYTE_MARSHALLER)));
            assertEquals("trailer value", trailers.get().get(Metadata.Key.of("t-ascii", Metadata.ASCII_STRING_MARSHALLER)));
            assertArrayEquals(new byte[] {4, 5, 6, 0},
                    trailers.get().get(Metadata.Key.of("t-bin", Metadata.BINARY_BYTE_MARSHALLER)));
        }
    }

    // --- compression ---

    private static final Metadata.Key<String> GRPC_ENCODING = Metadata.Key.of("grpc-encoding", Metadata.ASCII_STRING_MARSHALLER);

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void compressedRequestsArrivePlainAndResponsesAreGzippedOnlyWhenConfigured(boolean compress) throws Exception {
        try (Rig rig = new Rig("unix", dir, compress)) {
            AtomicReference<Metadata> headers = new AtomicReference<>();
            AtomicReference<Metadata> trailers = new AtomicReference<>();
            Channel channel = ClientInterceptors.intercept(rig.channel, MetadataUtils.newCaptureMetadataInterceptor(headers, trailers));
            String big = "compressible ".repeat(1000);

            String reply = ClientCalls.blockingUnaryCall(channel, TestMethods.G_UNARY, tenSeconds().withCompression("gzip"), big);

            assertEquals("echo:" + big, reply, "the backend got the request decompressed");
            assertEquals(compress ? "gzip" : "identity", headers.get().get(GRPC_ENCODING));
        }
    }

    // --- status, deadline, cancellation ---

    @Test
    void statusDescriptionAndTrailersReachTheGrpcClient() throws Exception {
        try (Rig rig = new Rig("tcp", dir)) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                    () -> ClientCalls.blockingUnaryCall(rig.channel, TestMethods.G_FAIL, tenSeconds(), "NOT_FOUND:no such key"));
            assertEquals(io.grpc.Status.Code.NOT_FOUND, e.getStatus().getCode());
            assertEquals("no such key", e.getStatus().getDescription());
            assertEquals("trailer value", e.getTrailers().get(Metadata.Key.of("t-ascii", Metadata.ASCII_STRING_MARSHALLER)));
            assertArrayEquals(new byte[] {4, 5, 6, 0}, e.getTrailers().get(Metadata.Key.of("t-bin", Metadata.BINARY_BYTE_MARSHALLER)));
        }
    }

    @Test
    void framewireCancelledReachesTheGrpcClientAsCancelled() throws Exception {
        try (Rig rig = new Rig("unix", dir)) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                    () -> ClientCalls.blockingUnaryCall(rig.channel, TestMethods.G_FAIL, tenSeconds(), "CANCELLED:the backend gave up"));
            assertEquals(io.grpc.Status.Code.CANCELLED, e.getStatus().getCode());
            assertEquals("the backend gave up", e.getStatus().getDescription());
        }
    }

    @Test
    void unknownMethodIsUnimplemented() throws Exception {
        try (Rig rig = new Rig("unix", dir)) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> ClientCalls.blockingUnaryCall(
                    rig.channel, TestMethods.grpc("test.Nobody/Home", io.grpc.MethodDescriptor.MethodType.UNARY), tenSeconds(), "?"));
            assertEquals(io.grpc.Status.Code.UNIMPLEMENTED, e.getStatus().getCode());
            assertTrue(e.getStatus().getDescription().contains("test.Nobody/Home"), e.getStatus().toString());
        }
    }

    @Test
    void deadlineReachesTheFramewireHandlerAndExpires() throws Exception {
        try (Rig rig = new Rig("unix", dir)) {
            long start = System.nanoTime();
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> ClientCalls.blockingUnaryCall(
                    rig.channel, TestMethods.G_SLEEP, CallOptions.DEFAULT.withDeadlineAfter(700, TimeUnit.MILLISECONDS), "zzz"));
            assertEquals(io.grpc.Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode());
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "the deadline ended the call");

            Duration left = rig.backend.deadline.get().orElseThrow(() -> new AssertionError("the handler saw no deadline"));
            assertTrue(left.toMillis() <= 700 && left.toMillis() > 0, "the handler's time left: " + left);
            assertTrue(rig.backend.cancelled.await(10, TimeUnit.SECONDS), "the handler observed the end of its call");
        }
    }

    @Test
    void grpcClientCancelCancelsTheFramewireHandler() throws Exception {
        try (Rig rig = new Rig("tcp", dir)) {
            ClientCall<String, String> call = rig.channel.newCall(TestMethods.G_HOLD, CallOptions.DEFAULT);
            CompletableFuture<String> first = new CompletableFuture<>();
            CompletableFuture<io.grpc.Status> closed = new CompletableFuture<>();
            call.start(new ClientCall.Listener<>() {
                @Override
                public void onMessage(String message) {
                    first.complete(message);
                }

                @Override
                public void onClose(io.grpc.Status status, Metadata trailers) {
                    closed.complete(status);
                }
            }, new Metadata());
            call.request(1);
            call.sendMessage("hello");
            assertEquals("started", first.get(10, TimeUnit.SECONDS));

            call.cancel("the test is done with it", null);

            assertTrue(rig.backend.cancelled.await(10, TimeUnit.SECONDS), "the Framewire handler saw the cancel");
            assertEquals(StatusCode.CANCELLED, rig.backend.cancellation.get().code());
            assertEquals(io.grpc.Status.Code.CANCELLED, closed.get(10, TimeUnit.SECONDS).getCode());
        }
    }

    // --- backend reachability and health ---

    @Test
    void unreachableUnixBackendIsUnavailableNamingTheAddress() throws Exception {
        String address = "unix://" + dir.resolve("nobody-listens.sock");
        assertUnavailableNaming(address);
    }

    @Test
    void unreachableTcpBackendIsUnavailableNamingTheAddress() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        assertUnavailableNaming("tcp://127.0.0.1:" + closedPort);
    }

    private void assertUnavailableNaming(String address) throws InterruptedException {
        try (GrpcGateway gateway = GrpcGateway.builder(address).bindAddress("127.0.0.1")
                .connectTimeout(Duration.ofSeconds(2)).build().start()) {
            ManagedChannel channel = channelTo(gateway);
            try {
                for (int i = 0; i < 2; i++) { // the first call connects; the second tries again
                    long start = System.nanoTime();
                    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                            () -> ClientCalls.blockingUnaryCall(channel, TestMethods.G_UNARY, CallOptions.DEFAULT, "anyone?"));
                    assertEquals(io.grpc.Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.getStatus().toString());
                    assertTrue(e.getStatus().getDescription().contains(address), e.getStatus().toString());
                    assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "failed within the connect timeout");
                }
            } finally {
                shutdown(channel);
            }
        }
    }

    @Test
    void aBackendThatComesUpLaterIsReached() throws Exception {
        String address = TestMethods.framewireAddress("unix", dir);
        try (GrpcGateway gateway = GrpcGateway.builder(address).bindAddress("127.0.0.1").build().start()) {
            ManagedChannel channel = channelTo(gateway);
            try {
                StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                        () -> ClientCalls.blockingUnaryCall(channel, TestMethods.G_UNARY, tenSeconds(), "early"));
                assertEquals(io.grpc.Status.Code.UNAVAILABLE, e.getStatus().getCode());
                try (FramewireBackend backend = new FramewireBackend(address)) {
                    assertEquals("echo:late", ClientCalls.blockingUnaryCall(channel, TestMethods.G_UNARY, tenSeconds(), "late"));
                }
            } finally {
                shutdown(channel);
            }
        }
    }

    @Test
    void healthServingWhileTheBackendAnswersAndNotServingOnceItStops() throws Exception {
        String address = TestMethods.framewireAddress("unix", dir);
        FramewireBackend backend = new FramewireBackend(address);
        try (GrpcGateway gateway = GrpcGateway.builder(address).bindAddress("127.0.0.1")
                .healthCheckInterval(Duration.ofMillis(100)).connectTimeout(Duration.ofSeconds(1)).build().start()) {
            ManagedChannel channel = channelTo(gateway);
            try {
                HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel);
                await().atMost(Duration.ofSeconds(10)).until(() -> check(health) == ServingStatus.SERVING);

                backend.close();
                await().atMost(Duration.ofSeconds(10)).until(() -> check(health) == ServingStatus.NOT_SERVING);

                backend = new FramewireBackend(address);
                await().atMost(Duration.ofSeconds(10)).until(() -> check(health) == ServingStatus.SERVING);
                assertEquals("echo:back", ClientCalls.blockingUnaryCall(channel, TestMethods.G_UNARY, tenSeconds(), "back"));
            } finally {
                shutdown(channel);
            }
        } finally {
            backend.close();
        }
    }

    private static ServingStatus check(HealthGrpc.HealthBlockingStub health) {
        return health.withDeadlineAfter(5, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance()).getStatus();
    }

    /** A StreamObserver that collects what it is told, for asserting once the call has ended. */
    static final class Recording<T> implements StreamObserver<T> {
        private final List<T> messages = new ArrayList<>();
        private final CompletableFuture<Void> done = new CompletableFuture<>();

        @Override
        public synchronized void onNext(T value) {
            messages.add(value);
        }

        @Override
        public void onError(Throwable t) {
            done.completeExceptionally(t);
        }

        @Override
        public void onCompleted() {
            done.complete(null);
        }

        /** The messages, once the call has ended OK. */
        List<T> messages() throws Exception {
            done.get(10, TimeUnit.SECONDS);
            synchronized (this) {
                return List.copyOf(messages);
            }
        }
    }

    static ManagedChannel channelTo(GrpcGateway gateway) {
        return NettyChannelBuilder.forAddress("127.0.0.1", gateway.port()).usePlaintext().build();
    }

    static void shutdown(ManagedChannel channel) throws InterruptedException {
        channel.shutdownNow();
        channel.awaitTermination(5, TimeUnit.SECONDS);
    }
}
