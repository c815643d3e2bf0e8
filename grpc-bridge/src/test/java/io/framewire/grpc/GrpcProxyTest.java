package io.framewire.grpc;

import static io.framewire.grpc.TestMethods.CHUNK;
import static io.framewire.grpc.TestMethods.FIREHOSE_BYTES;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framewire.CallOptions;
import io.framewire.Client;
import io.framewire.ClientCall;
import io.framewire.Codec;
import io.framewire.MethodDescriptor;
import io.framewire.Response;
import io.framewire.Server;
import io.framewire.Status;
import io.framewire.StatusException;
import io.framewire.protocol.Metadata;
import io.framewire.protocol.StatusCode;
import io.framewire.testing.LeakCheckExtension;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A Framewire client, through a Framewire server whose fallback is the proxy, to a grpc-java server. */
@Timeout(60)
@ExtendWith(LeakCheckExtension.class)
class GrpcProxyTest {
    private static final CallOptions TEN_SECONDS = CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(10));

    @TempDir
    Path dir;

    /** A gRPC backend, a channel to it, a Framewire server proxying to it, and a client of that server. */
    static final class Rig implements AutoCloseable {
        final GrpcBackend backend;
        final ManagedChannel channel;
        final Server proxy;
        final Client client;

        Rig(String transport, Path dir) {
            this(new GrpcBackend(), transport, dir);
        }

        Rig(GrpcBackend backend, String transport, Path dir) {
            this.backend = backend;
            this.channel = NettyChannelBuilder.forAddress("127.0.0.1", backend.port()).usePlaintext().build();
            this.proxy = Server.builder().listen(TestMethods.framewireAddress(transport, dir))
                    .fallback(GrpcProxy.to(channel)).build().start();
            this.client = Client.connect(proxy.address().toString());
        }

        @Override
        public void close() throws InterruptedException {
            client.close();
            proxy.close();
            GrpcGatewayTest.shutdown(channel);
            backend.close();
        }
    }

    // --- the four shapes ---

    @ParameterizedTest
    @ValueSource(strings = {"unix", "tcp"})
    void unary(String transport) throws Exception {
        try (Rig rig = new Rig(transport, dir)) {
            assertEquals("echo:hi", rig.client.call(TestMethods.F_UNARY, "hi", TEN_SECONDS));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"unix", "tcp"})
    void serverStreaming(String transport) throws Exception {
        try (Rig rig = new Rig(transport, dir);
             ClientCall<String, String> call = rig.client.newCall(TestMethods.F_SPLIT, TEN_SECONDS)) {
            call.sendLast("a,b,c");
            assertEquals(List.of("a", "b", "c"), collect(call));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"unix", "tcp"})
    void clientStreaming(String transport) throws Exception {
        try (Rig rig = new Rig(transport, dir);
             ClientCall<String, String> call = rig.client.newCall(TestMethods.F_JOIN, TEN_SECONDS)) {
            call.send("x");
            call.send("y");
            call.sendLast("z");
            assertEquals(List.of("x+y+z"), collect(call));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"unix", "tcp"})
    void bidiStreaming(String transport) throws Exception {
        try (Rig rig = new Rig(transport, dir);
             ClientCall<String, String> call = rig.client.newCall(TestMethods.F_CHAT, TEN_SECONDS)) {
            call.send("one");
            assertEquals("re:one", call.receive().orElseThrow());
            call.sendLast("two");
            assertEquals(List.of("re:two"), collect(call));
        }
    }

    private static List<String> collect(ClientCall<String, String> call) {
        List<String> out = new ArrayList<>();
        call.responses().forEach(out::add);
        return out;
    }

    // --- metadata ---

    @Test
    void metadataBothWaysAsciiAndBinaryWithoutReservedKeys() throws Exception {
        try (Rig rig = new Rig("unix", dir)) {
            Metadata sent = Metadata.builder().put("x-ascii", "hello").putBinary("x-bin", new byte[] {9, 8, 0, 7})
                    .put("grpc-custom", "reserved for gRPC").put("fw-custom", "reserved for Framewire").build();
            Response<String> r = rig.client.exchange(TestMethods.F_UNARY, "m", TEN_SECONDS.withMetadata(sent));
            assertEquals("echo:m", r.message());

            io.grpc.Metadata seen = rig.backend.requestHeaders.get();
            assertEquals("hello", seen.get(io.grpc.Metadata.Key.of("x-ascii", io.grpc.Metadata.ASCII_STRING_MARSHALLER)));
            assertArrayEquals(new byte[] {9, 8, 0, 7}, seen.get(io.grpc.Metadata.Key.of("x-bin", io.grpc.Metadata.BINARY_BYTE_MARSHALLER)));
            assertFalse(seen.containsKey(io.grpc.Metadata.Key.of("grpc-custom", io.grpc.Metadata.ASCII_STRING_MARSHALLER)));
            assertFalse(seen.containsKey(io.grpc.Metadata.Key.of("fw-custom", io.grpc.Metadata.ASCII_STRING_MARSHALLER)));

            assertEquals("header value", r.headers().get("h-ascii").orElseThrow());
            assertArrayEquals(new byte[] {1, 2, 3, (byte) 0xff}, r.headers().getBinary("h-bin").orElseThrow());
            assertEquals("trailer value", r.trailers().get("t-ascii").orElseThrow());
            assertArrayEquals(new byte[] {4, 5, 6, 0}, r.trailers().getBinary("t-bin").orElseThrow());
            for (String key : r.headers().keys()) {
                assertFalse(key.startsWith("grpc-") || key.equals("content-type"), "gRPC's own header " + key + " came back");
            }
            for (String key : r.trailers().keys()) {
                assertFalse(key.startsWith("grpc-"), "gRPC's own trailer " + key + " came back");
            }
        }
    }

    // --- status, deadline, cancellation ---

    @Test
    void statusDescriptionAndTrailersReachTheFramewireClient() throws Exception {
        try (Rig rig = new Rig("tcp", dir)) {
            StatusException e = assertThrows(StatusException.class,
                    () -> rig.client.call(TestMethods.F_FAIL, "NOT_FOUND:no such key", TEN_SECONDS));
            assertEquals(StatusCode.NOT_FOUND, e.status().code());
            assertEquals("no such key", e.status().description());
            assertEquals("failure trailer", e.trailers().get("t-ascii").orElseThrow());
        }
    }

    @Test
    void grpcCancelledReachesTheFramewireClientAsCancelled() throws Exception {
        try (Rig rig = new Rig("unix", dir)) {
            StatusException e = assertThrows(StatusException.class,
                    () -> rig.client.call(TestMethods.F_FAIL, "CANCELLED:the backend gave up", TEN_SECONDS));
            assertEquals(StatusCode.CANCELLED, e.status().code());
            assertEquals("the backend gave up", e.status().description());
        }
    }

    @Test
    void unknownMethodIsUnimplemented() throws Exception {
        try (Rig rig = new Rig("unix", dir)) {
            MethodDescriptor<String, String> nobody = MethodDescriptor.unary("test.Nobody/Home", Codec.utf8(), Codec.utf8());
            StatusException e = assertThrows(StatusException.class, () -> rig.client.call(nobody, "?", TEN_SECONDS));
            assertEquals(StatusCode.UNIMPLEMENTED, e.status().code());
        }
    }

    @Test
    void deadlineReachesTheGrpcBackendAndExpires() throws Exception {
        try (Rig rig = new Rig("unix", dir)) {
            long start = System.nanoTime();
            StatusException e = assertThrows(StatusException.class, () -> rig.client.call(TestMethods.F_SLEEP, "zzz",
                    CallOptions.DEFAULT.withTimeout(Duration.ofMillis(700))));
            assertEquals(StatusCode.DEADLINE_EXCEEDED, e.status().code());
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5));

            io.grpc.Deadline deadline = rig.backend.deadline.get();
            assertNotNull(deadline, "the gRPC backend saw no deadline");
            long left = deadline.timeRemaining(TimeUnit.MILLISECONDS);
            assertTrue(left <= 700, "the backend's deadline: " + deadline);
            assertTrue(rig.backend.cancelled.await(10, TimeUnit.SECONDS), "the backend's call was ended");
        }
    }

    @Test
    void framewireCancelCancelsTheGrpcCall() throws Exception {
        try (Rig rig = new Rig("tcp", dir);
             ClientCall<String, String> call = rig.client.newCall(TestMethods.F_HOLD, CallOptions.DEFAULT)) {
            call.send("hello");
            assertEquals("started", call.receive().orElseThrow());

            call.cancel("the test is done with it");

            assertTrue(rig.backend.cancelled.await(10, TimeUnit.SECONDS), "the gRPC backend saw the cancel");
            assertEquals(StatusCode.CANCELLED, call.status().code());
        }
    }

    @Test
    void unreachableBackendIsUnavailable() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", closedPort).usePlaintext().build();
        try (Server proxy = Server.builder().listen(TestMethods.framewireAddress("unix", dir))
                .fallback(GrpcProxy.to(channel)).build().start();
             Client client = Client.connect(proxy.address().toString())) {
            long start = System.nanoTime();
            StatusException e = assertThrows(StatusException.class, () -> client.call(TestMethods.F_UNARY, "anyone?", TEN_SECONDS));
            assertEquals(StatusCode.UNAVAILABLE, e.status().code(), e.status().toString());
            assertTrue(e.status().description().contains("127.0.0.1:" + closedPort), e.status().toString());
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5));
        } finally {
            GrpcGatewayTest.shutdown(channel);
        }
    }

    // --- flow control ---

    @Test
    void aFramewireClientThatStopsReadingStopsTheGrpcBackend() throws Exception {
        try (Rig rig = new Rig("unix", dir)) {
            AtomicLong received = new AtomicLong();
            CountDownLatch first = new CountDownLatch(1);
            CompletableFuture<Status> closed = new CompletableFuture<>();
            ClientCall<byte[], byte[]> call = rig.client.startCall(TestMethods.F_FIREHOSE, CallOptions.DEFAULT,
                    new ClientCall.Listener<>() {
                        @Override
                        public boolean autoRequest() {
                            return false;
                        }

                        @Override
                        public void onMessage(byte[] message) {
                            received.addAndGet(message.length);
                            first.countDown();
                        }

                        @Override
                        public void onClose(Status status, Metadata trailers) {
                            closed.complete(status);
                        }
                    });
            call.request(1);
            call.sendLast(new byte[0]);
            assertTrue(first.await(10, TimeUnit.SECONDS));

            long sent = Flow.awaitStalled(rig.backend.firehoseSent);
            System.out.printf("proxy, stalled Framewire reader: gRPC backend sent %d bytes, client read %d%n", sent, received.get());
            assertTrue(sent < GatewayFlowControlTest.IN_FLIGHT_BOUND, "the backend sent " + sent + " bytes to a client that read "
                    + received.get());

            call.request(Integer.MAX_VALUE);
            assertEquals(StatusCode.OK, closed.get(60, TimeUnit.SECONDS).code());
            assertEquals(FIREHOSE_BYTES, received.get());
        }
    }

    @Test
    void aSlowGrpcBackendSlowsAFastFramewireSender() throws Exception {
        try (Rig rig = new Rig("tcp", dir);
             ClientCall<byte[], byte[]> call = rig.client.newCall(TestMethods.F_DRAIN, CallOptions.DEFAULT)) {
            AtomicLong sent = new AtomicLong();
            Thread sender = Thread.ofVirtual().start(() -> {
                byte[] chunk = new byte[CHUNK];
                while (sent.get() < FIREHOSE_BYTES) {
                    call.send(chunk); // waits while the call cannot take more
                    sent.addAndGet(CHUNK);
                }
                call.halfClose();
            });

            long stalled = Flow.awaitStalled(sent);
            System.out.printf("proxy, stalled gRPC reader: Framewire client sent %d bytes%n", stalled);
            assertTrue(stalled < GatewayFlowControlTest.IN_FLIGHT_BOUND, "the client sent " + stalled
                    + " bytes to a backend that read none");
            assertEquals(0, rig.backend.drained.get());

            rig.backend.releaseDrain();
            assertEquals(Long.toString(FIREHOSE_BYTES), new String(call.receive().orElseThrow(), StandardCharsets.UTF_8));
            sender.join(10_000);
            assertEquals(FIREHOSE_BYTES, sent.get());
        }
    }
}
