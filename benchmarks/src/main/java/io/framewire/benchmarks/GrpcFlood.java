package io.framewire.benchmarks;

import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;

/**
 * The gRPC streaming method, shared by {@link GrpcEchoServer} and {@link GrpcStreamClient}: one
 * {@link FloodRequest} in, its messages out; server streaming, raw bytes, built by hand like
 * {@link GrpcEcho}.
 */
final class GrpcFlood {
    static final MethodDescriptor<byte[], byte[]> FLOOD = MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.SERVER_STREAMING)
            .setFullMethodName(MethodDescriptor.generateFullMethodName("bench.Stream", "Flood"))
            .setRequestMarshaller(GrpcEcho.BytesMarshaller.INSTANCE)
            .setResponseMarshaller(GrpcEcho.BytesMarshaller.INSTANCE)
            .build();

    private GrpcFlood() {}

    static ServerServiceDefinition service() {
        return ServerServiceDefinition.builder("bench.Stream")
                .addMethod(FLOOD, ServerCalls.asyncServerStreamingCall(GrpcFlood::flood))
                .build();
    }

    private static void flood(byte[] request, StreamObserver<byte[]> responses) {
        new Sender(FloodRequest.decode(request), (ServerCallStreamObserver<byte[]>) responses).start();
    }

    /**
     * Sends one flood with gRPC's own flow control: only while {@code isReady()}, resuming from the
     * on-ready handler.
     *
     * <p>gRPC's {@code onNext} never blocks: called without regard to {@code isReady()} it queues every
     * message in the server's memory, without bound, however slow the client is. A loop like that
     * would be unfair to Framewire, whose {@code send} waits for the client's window, and would
     * eventually exhaust the server's heap; this is the way gRPC's documentation asks streaming servers
     * to behave. {@code isReady()} turns false once about 32 KiB wait unsent on the stream (gRPC's
     * default on-ready threshold), and gRPC runs the handler again when the stream drains.
     */
    private static final class Sender implements Runnable {
        private final FloodRequest flood;
        private final ServerCallStreamObserver<byte[]> out;
        private long next;
        private boolean completed;

        Sender(FloodRequest flood, ServerCallStreamObserver<byte[]> out) {
            this.flood = flood;
            this.out = out;
        }

        /**
         * Registers the handlers; gRPC runs the on-ready handler once this method call returns (the
         * stream is ready from the start) and whenever it becomes ready again, never concurrently.
         */
        void start() {
            // With a cancel handler set, gRPC reports a cancelled stream through isCancelled() (checked
            // below) instead of throwing from onNext.
            out.setOnCancelHandler(() -> { });
            out.setOnReadyHandler(this);
        }

        @Override
        public void run() {
            while (!completed && !out.isCancelled() && out.isReady()) {
                if (next == flood.count()) {
                    completed = true;
                    out.onCompleted();
                    return;
                }
                out.onNext(SequencedMessage.of(next++, flood.size()));
            }
        }
    }
}
