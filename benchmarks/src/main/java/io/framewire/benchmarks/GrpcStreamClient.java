package io.framewire.benchmarks;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;

/**
 * gRPC-Java's async stub style on one {@link ManagedChannel} (one HTTP/2 connection): each stream is a
 * call started with {@link ClientCalls#asyncServerStreamingCall} and heard by an observer, on the
 * channel's default executor. Two request policies, both bounded:
 *
 * <ul>
 *   <li>the stub's own ({@code requestAhead == 0}): it asks for one message, and for the next once
 *       {@code onNext} has returned, as generated async stubs do;
 *   <li>manual flow control ({@code requestAhead > 0}): the observer turns auto-request off, asks for
 *       {@code requestAhead} messages at the start and for one more as each is consumed, so that many
 *       stay requested, as Framewire's auto-requesting listener keeps a window of credit out.
 * </ul>
 *
 * Either way the server can send no further ahead than HTTP/2's flow-control window, and the client
 * holds no more than that window plus the messages requested.
 */
final class GrpcStreamClient implements StreamClient {
    private final GrpcConnection connection;
    private final int requestAhead;

    /** @param requestAhead messages kept requested, or 0 for the stub's one-at-a-time auto-request */
    GrpcStreamClient(GrpcConnection connection, int requestAhead) {
        this.connection = connection;
        this.requestAhead = requestAhead;
    }

    @Override
    public Stream open(StreamTally tally) {
        ClientCall<byte[], byte[]> call = connection.channel().newCall(GrpcFlood.FLOOD, CallOptions.DEFAULT);
        ClientCalls.asyncServerStreamingCall(call, tally.request().encode(), new Receiver(call, tally, requestAhead));
        return () -> call.cancel("the harness stopped the stream", null);
    }

    @Override
    public void close() {
        connection.close();
    }

    private record Receiver(ClientCall<byte[], byte[]> call, StreamTally tally, int requestAhead)
            implements ClientResponseObserver<byte[], byte[]> {

        @Override
        public void beforeStart(ClientCallStreamObserver<byte[]> requestStream) {
            if (requestAhead > 0) {
                requestStream.disableAutoRequestWithInitial(requestAhead);
            }
        }

        @Override
        public void onNext(byte[] message) {
            if (!tally.accept(message)) {
                call.cancel("the harness refused a message", null);
            } else if (requestAhead > 0) {
                call.request(1);
            }
        }

        @Override
        public void onError(Throwable t) {
            Status status = Status.fromThrowable(t);
            if (status.getCode() == Status.Code.CANCELLED) {
                tally.endedCancelled(status.toString());
            } else {
                tally.failed(status.toString(), t);
            }
        }

        @Override
        public void onCompleted() {
            tally.endedOk();
        }
    }
}
