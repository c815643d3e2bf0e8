package io.framewire.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framewire.Codec;
import io.framewire.ExecutionMode;
import io.framewire.MethodDescriptor;
import io.framewire.Server;
import io.framewire.Service;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.ClientCalls;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backend that stops reading its socket (hung, stopped, stuck in a handler) must never hold the
 * gateway's event loop: the loop serves every gRPC call of its connections, so a loop waiting to write to
 * the backend would stall calls that do not even go there.
 */
@Timeout(60)
class GatewayStalledBackendTest {
    private static final MethodDescriptor<String, String> STUCK =
            MethodDescriptor.unary("test.Stuck/Wait", Codec.utf8(), Codec.utf8());
    private static final MethodDescriptor<byte[], byte[]> SINK =
            MethodDescriptor.clientStreaming("test.Stuck/Sink", Codec.bytes(), Codec.bytes());
    private static final io.grpc.MethodDescriptor<String, String> G_STUCK =
            TestMethods.grpc("test.Stuck/Wait", io.grpc.MethodDescriptor.MethodType.UNARY);
    private static final io.grpc.MethodDescriptor<byte[], byte[]> G_SINK =
            TestMethods.grpcBytes("test.Stuck/Sink", io.grpc.MethodDescriptor.MethodType.CLIENT_STREAMING);
    private static final int STREAMS = 4;
    private static final int CHUNKS_PER_STREAM = 16; // 1 MiB a stream: beyond the window and the socket's buffers

    @TempDir
    Path dir;

    @RepeatedTest(5) // the loop is the one to write in most runs, not all: another thread's writer may be first
    void aBackendThatStopsReadingNeverHoldsTheEventLoop() throws Exception {
        CountDownLatch unstick = new CountDownLatch(1);
        CountDownLatch stuck = new CountDownLatch(1);
        AtomicLong sunk = new AtomicLong();
        // An inline handler that blocks holds the backend's connection reader: its socket is not read.
        Service service = Service.builder("test.Stuck")
                .unary(STUCK, ExecutionMode.INLINE, (request, ctx) -> {
                    stuck.countDown();
                    unstick.await(50, TimeUnit.SECONDS);
                    return "unstuck";
                })
                .clientStreaming(SINK, call -> {
                    for (byte[] chunk : call.requests()) {
                        sunk.addAndGet(chunk.length);
                    }
                    return new byte[0];
                })
                .build();
        try (Server backend = Server.builder().listen("unix://" + dir.resolve("stuck.sock")).service(service).build().start();
             GrpcGateway gateway = GrpcGateway.builder(backend.address().toString()).bindAddress("127.0.0.1")
                     .healthCheckInterval(Duration.ofMillis(100)).build().start()) {
            ManagedChannel channel = GrpcGatewayTest.channelTo(gateway);
            try {
                java.util.concurrent.Future<String> waiting = ClientCalls.futureUnaryCall(
                        channel.newCall(G_STUCK, CallOptions.DEFAULT.withDeadlineAfter(55, TimeUnit.SECONDS)), "wait");
                assertTrue(stuck.await(10, TimeUnit.SECONDS));

                // More than the backend's socket holds, sent towards the unread socket through the loop.
                List<CompletableFuture<Status>> sinks = new ArrayList<>();
                for (int i = 0; i < STREAMS; i++) {
                    sinks.add(sendChunks(channel));
                }
                // Until the backend's socket is full: some thread waits in a write to it (before this change,
                // the event loop itself).
                await(GatewayStalledBackendTest::aThreadWaitsToWriteToAUnixSocket);

                // The loop answers a call of its own (the health service runs on it) while that is stuck.
                HealthCheckResponse health = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                        .check(HealthCheckRequest.getDefaultInstance());
                assertNotNull(health.getStatus());

                unstick.countDown();
                assertEquals("unstuck", waiting.get(20, TimeUnit.SECONDS));
                for (CompletableFuture<Status> s : sinks) {
                    assertEquals(Status.Code.OK, s.get(20, TimeUnit.SECONDS).getCode());
                }
                assertEquals((long) STREAMS * CHUNKS_PER_STREAM * TestMethods.CHUNK, sunk.get());
            } finally {
                GrpcGatewayTest.shutdown(channel);
                unstick.countDown();
            }
        }
    }

    private static boolean aThreadWaitsToWriteToAUnixSocket() {
        return Thread.getAllStackTraces().values().stream().anyMatch(stack -> java.util.Arrays.stream(stack)
                .anyMatch(f -> f.getClassName().endsWith(".UnixConnection") && f.getMethodName().equals("writeRest")));
    }

    /** A client-streaming call of CHUNKS_PER_STREAM chunks, sent at once; its status when it ends. */
    private CompletableFuture<Status> sendChunks(ManagedChannel channel) {
        ClientCall<byte[], byte[]> call = channel.newCall(G_SINK, CallOptions.DEFAULT.withDeadlineAfter(55, TimeUnit.SECONDS));
        CompletableFuture<Status> closed = new CompletableFuture<>();
        call.start(new ClientCall.Listener<>() {
            @Override
            public void onClose(Status status, Metadata trailers) {
                closed.complete(status);
            }
        }, new Metadata());
        call.request(1);
        byte[] chunk = new byte[TestMethods.CHUNK];
        for (int i = 0; i < CHUNKS_PER_STREAM; i++) {
            call.sendMessage(chunk);
        }
        call.halfClose();
        return closed;
    }

    private static void await(java.util.concurrent.Callable<Boolean> condition) {
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(condition);
    }
}
