package io.framewire.grpc;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framewire.grpc.test.BridgeGrpc;
import io.framewire.grpc.test.Msg;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The generated service the tests host: what it does with a call depends on the request's mode, and
 * it records what it observed (cancellation, flow control) for the tests to check.
 */
final class BridgeTestService extends BridgeGrpc.BridgeImplBase {
    static final Metadata.Key<String> WHY = Metadata.Key.of("x-why", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<byte[]> WHY_BIN = Metadata.Key.of("x-why-bin", Metadata.BINARY_BYTE_MARSHALLER);

    /** The service's onCancel handler ran (ServerCallStreamObserver.setOnCancelHandler). */
    final CountDownLatch cancelHandlerRan = new CountDownLatch(1);
    /** The call's Context was cancelled (a listener added to Context.current()). */
    final CountDownLatch contextCancelled = new CountDownLatch(1);
    /** Context.current().isCancelled() as seen from the onCancel handler. */
    final AtomicBoolean contextCancelledInHandler = new AtomicBoolean();

    // Flow control, server to client ("flow" server stream).
    final AtomicInteger flowSent = new AtomicInteger();
    final AtomicBoolean flowNotReadySeen = new AtomicBoolean();
    final AtomicInteger flowOnReadyCalls = new AtomicInteger();

    // Flow control, client to server: ClientStream with the service asking for requests itself.
    volatile boolean holdClientStream;
    final AtomicReference<ServerCallStreamObserver<Msg>> heldClientStream = new AtomicReference<>();

    /** Waits until the service has seen its call cancelled: its onCancel handler ran and its Context was cancelled. */
    void assertSawCancel() throws InterruptedException {
        assertTrue(cancelHandlerRan.await(20, TimeUnit.SECONDS), "the service's onCancel handler ran");
        assertTrue(contextCancelled.await(20, TimeUnit.SECONDS), "the service's Context was cancelled");
    }

    static Msg msg(String mode, String text, long n) {
        return Msg.newBuilder().setMode(mode).setText(text).setN(n).build();
    }

    @Override
    public void unary(Msg request, StreamObserver<Msg> responses) {
        switch (request.getMode()) {
            case "deadline" -> {
                Deadline d = Context.current().getDeadline();
                responses.onNext(msg("deadline", "", d == null ? -1 : d.timeRemaining(TimeUnit.MILLISECONDS)));
                responses.onCompleted();
            }
            case "fail" -> {
                Metadata trailers = new Metadata();
                trailers.put(WHY, request.getText());
                trailers.put(WHY_BIN, request.getPayload().toByteArray());
                responses.onError(Status.fromCodeValue((int) request.getN()).withDescription(request.getText())
                        .asRuntimeException(trailers));
            }
            case "wait" -> awaitCancel(responses);
            case "throw" -> throw new IllegalStateException("the service broke");
            default -> {
                responses.onNext(msg("echo", request.getText(), request.getN()));
                responses.onCompleted();
            }
        }
    }

    @Override
    public void serverStream(Msg request, StreamObserver<Msg> responses) {
        switch (request.getMode()) {
            case "wait" -> {
                awaitCancel(responses);
                responses.onNext(msg("first", "", 0));
            }
            case "fail-after" -> {
                for (int i = 0; i < request.getN(); i++) {
                    responses.onNext(msg("item", "" + i, i));
                }
                responses.onError(Status.CANCELLED.withDescription("server gave up").asRuntimeException());
            }
            case "flow" -> flow(request, (ServerCallStreamObserver<Msg>) responses);
            default -> {
                for (int i = 0; i < request.getN(); i++) {
                    responses.onNext(msg("item", request.getText() + i, i));
                }
                responses.onCompleted();
            }
        }
    }

    /** Sends n messages of the request's payload, only while the call is ready, as flow-aware gRPC code does. */
    private void flow(Msg request, ServerCallStreamObserver<Msg> responses) {
        Msg item = Msg.newBuilder().setMode("item").setPayload(request.getPayload()).build();
        AtomicBoolean completed = new AtomicBoolean();
        Runnable pump = () -> {
            while (responses.isReady() && flowSent.get() < request.getN()) {
                responses.onNext(item);
                flowSent.incrementAndGet();
            }
            if (flowSent.get() < request.getN()) {
                flowNotReadySeen.set(true);
            } else if (completed.compareAndSet(false, true)) {
                responses.onCompleted();
            }
        };
        responses.setOnReadyHandler(() -> {
            flowOnReadyCalls.incrementAndGet();
            pump.run();
        });
        responses.setOnCancelHandler(() -> { });
        pump.run();
    }

    @Override
    public StreamObserver<Msg> clientStream(StreamObserver<Msg> responses) {
        if (holdClientStream) {
            ServerCallStreamObserver<Msg> server = (ServerCallStreamObserver<Msg>) responses;
            server.disableAutoRequest();
            heldClientStream.set(server);
        }
        return new StreamObserver<>() {
            final StringBuilder texts = new StringBuilder();
            long count;

            @Override
            public void onNext(Msg value) {
                texts.append(value.getText());
                count++;
            }

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {
                responses.onNext(msg("sum", texts.toString(), count));
                responses.onCompleted();
            }
        };
    }

    @Override
    public StreamObserver<Msg> bidi(StreamObserver<Msg> responses) {
        return new StreamObserver<>() {
            @Override
            public void onNext(Msg value) {
                responses.onNext(msg("echo", value.getText(), value.getN()));
            }

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {
                responses.onCompleted();
            }
        };
    }

    /** Leaves the call open, recording its cancellation as the service's handler and its Context see it. */
    private void awaitCancel(StreamObserver<Msg> responses) {
        ServerCallStreamObserver<Msg> server = (ServerCallStreamObserver<Msg>) responses;
        server.setOnCancelHandler(() -> {
            contextCancelledInHandler.set(Context.current().isCancelled());
            cancelHandlerRan.countDown();
        });
        Context.current().addListener(c -> contextCancelled.countDown(), Runnable::run);
    }
}
