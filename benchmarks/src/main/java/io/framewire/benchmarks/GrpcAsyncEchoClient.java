package io.framewire.benchmarks;

import io.grpc.CallOptions;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * gRPC-Java's unary echo in its fastest configuration (as grpc-java's own async benchmark client):
 * async calls ({@link ClientCalls}) on a channel whose callbacks run on its event loop
 * ({@code directExecutor}), with no thread per call. {@link #sustain} keeps the calls in flight by
 * starting the next call from the callback of the one that completed; {@link #echo} waits on a
 * future for the latency probe's one call outstanding.
 */
final class GrpcAsyncEchoClient implements EchoClient {
    /** How long past its deadline {@link #sustain} waits for its last calls before it gives up. */
    private static final long DRAIN_LIMIT_NANOS = TimeUnit.SECONDS.toNanos(60);

    private final GrpcConnection connection;

    /** @param connection a channel built with {@code directExecutor} ({@link GrpcConnection#open(Endpoint, boolean)}) */
    GrpcAsyncEchoClient(GrpcConnection connection) {
        this.connection = connection;
    }

    @Override
    public byte[] echo(byte[] payload) throws Exception {
        try {
            return ClientCalls.futureUnaryCall(connection.channel().newCall(GrpcEcho.ECHO, CallOptions.DEFAULT), payload).get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    @Override
    public long sustain(byte[] payload, int outstanding, long deadlineNanos) throws Exception {
        Loops loops = new Loops(payload, outstanding, deadlineNanos);
        for (int i = 0; i < outstanding; i++) {
            loops.next();
        }
        long wait = deadlineNanos - System.nanoTime() + DRAIN_LIMIT_NANOS;
        if (!loops.finished.await(Math.max(wait, 0), TimeUnit.NANOSECONDS)) {
            throw new IllegalStateException(loops.finished.getCount() + " of " + outstanding + " call loops did not end");
        }
        Throwable failure = loops.failure.get();
        if (failure != null) {
            throw failure instanceof Exception e ? e : new IllegalStateException(failure);
        }
        return loops.completed.get();
    }

    @Override
    public void close() {
        connection.close();
    }

    /** {@code outstanding} loops of calls, each starting its next call once one completes, until the deadline or a failure. */
    private final class Loops {
        final byte[] payload;
        final long deadlineNanos;
        final AtomicLong completed = new AtomicLong();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final CountDownLatch finished;

        Loops(byte[] payload, int outstanding, long deadlineNanos) {
            this.payload = payload;
            this.deadlineNanos = deadlineNanos;
            this.finished = new CountDownLatch(outstanding);
        }

        /** Starts one call; its observer starts the next or ends the loop. */
        void next() {
            ClientCalls.asyncUnaryCall(connection.channel().newCall(GrpcEcho.ECHO, CallOptions.DEFAULT), payload,
                    new StreamObserver<>() {
                        @Override
                        public void onNext(byte[] echo) {
                            try {
                                Payload.check(payload, echo);
                            } catch (RuntimeException e) {
                                failure.compareAndSet(null, e);
                            }
                        }

                        @Override
                        public void onError(Throwable t) {
                            failure.compareAndSet(null, t);
                            finished.countDown();
                        }

                        @Override
                        public void onCompleted() {
                            completed.incrementAndGet();
                            if (failure.get() == null && System.nanoTime() - deadlineNanos < 0) {
                                next();
                            } else {
                                finished.countDown();
                            }
                        }
                    });
        }
    }
}
