package io.framewire.grpc;

import static io.framewire.grpc.TestMethods.CHUNK;
import static io.framewire.grpc.TestMethods.FIREHOSE_BYTES;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framewire.testing.LeakCheckExtension;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Flow control end to end through the gateway: a gRPC client that stops reading stops the Framewire
 * handler's sends, and a Framewire handler that stops reading stops a gRPC client's sends, each after
 * at most the windows in between, not the 64 MiB the stream holds.
 */
@Timeout(120)
@ExtendWith(LeakCheckExtension.class)
class GatewayFlowControlTest {
    /**
     * What may be in flight between a stopped reader and its sender: gRPC's HTTP/2 windows (1 MiB per
     * stream by default, more once tuned), Framewire's stream window (256 KiB) and send queue, socket
     * buffers, and a few messages of the gateway's. A quarter of the stream: far below 64 MiB.
     */
    static final long IN_FLIGHT_BOUND = 16L << 20;

    @TempDir
    Path dir;

    @Test
    void aGrpcClientThatStopsReadingStopsTheFramewireHandler() throws Exception {
        try (GrpcGatewayTest.Rig rig = new GrpcGatewayTest.Rig("unix", dir)) {
            long heapBefore = Flow.usedHeapAfterGc();
            ClientCall<byte[], byte[]> call = rig.channel.newCall(TestMethods.G_FIREHOSE, CallOptions.DEFAULT);
            AtomicLong received = new AtomicLong();
            CountDownLatch first = new CountDownLatch(1);
            CompletableFuture<Status> closed = new CompletableFuture<>();
            call.start(new ClientCall.Listener<>() {
                @Override
                public void onMessage(byte[] message) {
                    received.addAndGet(message.length);
                    first.countDown();
                }

                @Override
                public void onClose(Status status, Metadata trailers) {
                    closed.complete(status);
                }
            }, new Metadata());
            call.request(1); // one message, then the client stops reading
            call.sendMessage(new byte[0]);
            call.halfClose();
            assertTrue(first.await(10, TimeUnit.SECONDS));

            long sent = Flow.awaitStalled(rig.backend.firehoseSent);
            assertTrue(sent < IN_FLIGHT_BOUND, "the handler sent " + sent + " bytes to a client that read " + received.get());
            long heapGrowth = Flow.usedHeapAfterGc() - heapBefore;
            System.out.printf("gateway, stalled gRPC reader: handler sent %d bytes, client read %d, heap grew %d%n",
                    sent, received.get(), heapGrowth);
            assertTrue(heapGrowth < IN_FLIGHT_BOUND, "heap grew by " + heapGrowth + " bytes while the stream was stalled");

            call.request(Integer.MAX_VALUE); // reading again: the rest flows, in many more stalls and resumes
            assertEquals(Status.Code.OK, closed.get(60, TimeUnit.SECONDS).getCode());
            assertEquals(FIREHOSE_BYTES, received.get());
            assertEquals(FIREHOSE_BYTES, rig.backend.firehoseSent.get());
        }
    }

    @Test
    void aSlowFramewireServiceSlowsAFastGrpcSender() throws Exception {
        try (GrpcGatewayTest.Rig rig = new GrpcGatewayTest.Rig("tcp", dir)) {
            ClientCall<byte[], byte[]> call = rig.channel.newCall(TestMethods.G_DRAIN, CallOptions.DEFAULT);
            CompletableFuture<String> reply = new CompletableFuture<>();
            FastSender sender = new FastSender(call);
            call.start(new ClientCall.Listener<>() {
                @Override
                public void onMessage(byte[] message) {
                    reply.complete(new String(message, StandardCharsets.UTF_8));
                }

                @Override
                public void onReady() {
                    sender.sendWhileReady();
                }

                @Override
                public void onClose(Status status, Metadata trailers) {
                    if (!status.isOk()) {
                        reply.completeExceptionally(status.asRuntimeException());
                    }
                }
            }, new Metadata());
            call.request(1);
            sender.sendWhileReady();

            long sent = Flow.awaitStalled(sender.sent);
            System.out.printf("gateway, stalled Framewire reader: gRPC client sent %d bytes%n", sent);
            assertTrue(sent < IN_FLIGHT_BOUND, "the gRPC client sent " + sent + " bytes to a handler that read none");
            assertEquals(0, rig.backend.drained.get());

            rig.backend.releaseDrain.countDown();
            assertEquals(Long.toString(FIREHOSE_BYTES), reply.get(60, TimeUnit.SECONDS));
            assertEquals(FIREHOSE_BYTES, sender.sent.get());
        }
    }

    @Test
    void aCancelReachesAFramewireHandlerThatIsNotReading() throws Exception {
        try (GrpcGatewayTest.Rig rig = new GrpcGatewayTest.Rig("unix", dir)) {
            ClientCall<byte[], byte[]> call = rig.channel.newCall(TestMethods.G_DRAIN, CallOptions.DEFAULT);
            FastSender sender = new FastSender(call);
            CompletableFuture<Status> closed = new CompletableFuture<>();
            call.start(new ClientCall.Listener<>() {
                @Override
                public void onReady() {
                    sender.sendWhileReady();
                }

                @Override
                public void onClose(Status status, Metadata trailers) {
                    closed.complete(status);
                }
            }, new Metadata());
            sender.sendWhileReady();
            Flow.awaitStalled(sender.sent); // the gateway's own sends to the handler are stuck too

            sender.cancel();

            assertTrue(rig.backend.cancelled.await(10, TimeUnit.SECONDS), "the handler saw the cancel");
            assertEquals(io.framewire.protocol.StatusCode.CANCELLED, rig.backend.cancellation.get().code());
            assertEquals(Status.Code.CANCELLED, closed.get(10, TimeUnit.SECONDS).getCode());
        }
    }

    /** Sends 64 MiB in 64 KiB messages as fast as the call is ready, then half-closes. */
    private static final class FastSender {
        private final ClientCall<byte[], byte[]> call;
        private final ReentrantLock lock = new ReentrantLock(); // the test thread and onReady both send
        private final byte[] chunk = new byte[CHUNK];
        final AtomicLong sent = new AtomicLong();

        FastSender(ClientCall<byte[], byte[]> call) {
            this.call = call;
        }

        void sendWhileReady() {
            lock.lock();
            try {
                while (sent.get() < FIREHOSE_BYTES && call.isReady()) {
                    call.sendMessage(chunk);
                    if (sent.addAndGet(CHUNK) == FIREHOSE_BYTES) {
                        call.halfClose();
                    }
                }
            } finally {
                lock.unlock();
            }
        }

        void cancel() {
            lock.lock();
            try {
                call.cancel("the client gives up", null);
            } finally {
                lock.unlock();
            }
        }
    }
}
