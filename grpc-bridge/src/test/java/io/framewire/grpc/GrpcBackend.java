package io.framewire.grpc;

import static io.framewire.grpc.TestMethods.CHUNK;
import static io.framewire.grpc.TestMethods.FIREHOSE_BYTES;

import io.grpc.Context;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A plain grpc-java server with services of every shape for the proxy tests, built from hand-made
 * method descriptors, recording what its handlers saw: request headers, deadlines, cancellations,
 * bytes sent and received.
 */
final class GrpcBackend implements AutoCloseable {
    static final Metadata.Key<String> H_ASCII = Metadata.Key.of("h-ascii", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<byte[]> H_BIN = Metadata.Key.of("h-bin", Metadata.BINARY_BYTE_MARSHALLER);
    static final Metadata.Key<String> T_ASCII = Metadata.Key.of("t-ascii", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<byte[]> T_BIN = Metadata.Key.of("t-bin", Metadata.BINARY_BYTE_MARSHALLER);

    final AtomicReference<Metadata> requestHeaders = new AtomicReference<>();
    final AtomicReference<io.grpc.Deadline> deadline = new AtomicReference<>();
    final CountDownLatch cancelled = new CountDownLatch(1);
    final AtomicLong firehoseSent = new AtomicLong();
    final AtomicLong drained = new AtomicLong();
    private final AtomicReference<ServerCall<byte[], byte[]>> drainCall = new AtomicReference<>();
    private final Server server;

    GrpcBackend() {
        ServerServiceDefinition echo = ServerServiceDefinition.builder("test.Echo")
                .addMethod(TestMethods.G_UNARY, ServerCalls.asyncUnaryCall((request, out) -> {
                    out.onNext("echo:" + request);
                    out.onCompleted();
                }))
                .addMethod(TestMethods.G_SPLIT, ServerCalls.asyncServerStreamingCall((request, out) -> {
                    for (String part : request.split(",")) {
                        out.onNext(part);
                    }
                    out.onCompleted();
                }))
                .addMethod(TestMethods.G_JOIN, ServerCalls.asyncClientStreamingCall(out -> new StreamObserver<String>() {
                    private final List<String> parts = new ArrayList<>();

                    @Override
                    public void onNext(String value) {
                        parts.add(value);
                    }

                    @Override
                    public void onError(Throwable t) {}

                    @Override
                    public void onCompleted() {
                        out.onNext(String.join("+", parts));
                        out.onCompleted();
                    }
                }))
                .addMethod(TestMethods.G_CHAT, ServerCalls.asyncBidiStreamingCall(out -> new StreamObserver<String>() {
                    @Override
                    public void onNext(String value) {
                        out.onNext("re:" + value);
                    }

                    @Override
                    public void onError(Throwable t) {}

                    @Override
                    public void onCompleted() {
                        out.onCompleted();
                    }
                }))
                .addMethod(TestMethods.G_FAIL, ServerCalls.asyncUnaryCall((request, out) -> {
                    String[] codeAndText = request.split(":", 2);
                    Metadata trailers = new Metadata();
                    trailers.put(T_ASCII, "failure trailer");
                    out.onError(Status.Code.valueOf(codeAndText[0]).toStatus().withDescription(codeAndText[1])
                            .asRuntimeException(trailers));
                }))
                .addMethod(TestMethods.G_SLEEP, ServerCalls.asyncUnaryCall((request, out) -> {
                    deadline.set(Context.current().getDeadline());
                    Context.current().addListener(c -> cancelled.countDown(), Runnable::run);
                }))
                .addMethod(TestMethods.G_HOLD, ServerCalls.asyncBidiStreamingCall(out -> {
                    Context.current().addListener(c -> cancelled.countDown(), Runnable::run);
                    return new StreamObserver<String>() {
                        @Override
                        public void onNext(String value) {
                            out.onNext("started");
                        }

                        @Override
                        public void onError(Throwable t) {}

                        @Override
                        public void onCompleted() {}
                    };
                }))
                .build();
        ServerServiceDefinition flow = ServerServiceDefinition.builder("test.Flow")
                .addMethod(TestMethods.G_FIREHOSE, ServerCalls.asyncServerStreamingCall((request, out) -> firehose(out)))
                .addMethod(TestMethods.G_DRAIN, this::drain)
                .build();
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(ServerInterceptors.intercept(echo, new Recorder()))
                .addService(flow)
                .build();
        try {
            server.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sends 64 MiB in 64 KiB messages, only while the call is ready (grpc-java's manual flow control). */
    private void firehose(StreamObserver<byte[]> out) {
        ServerCallStreamObserver<byte[]> call = (ServerCallStreamObserver<byte[]>) out;
        byte[] chunk = new byte[CHUNK];
        long[] sent = {0};
        Runnable sendWhileReady = () -> {
            while (sent[0] < FIREHOSE_BYTES && call.isReady()) {
                call.onNext(chunk);
                sent[0] += CHUNK;
                firehoseSent.addAndGet(CHUNK);
                if (sent[0] == FIREHOSE_BYTES) {
                    call.onCompleted();
                }
            }
        };
        call.setOnReadyHandler(sendWhileReady);
        sendWhileReady.run();
    }

    /** Reads nothing until {@link #releaseDrain()}; then counts the bytes and answers with the count. */
    private ServerCall.Listener<byte[]> drain(ServerCall<byte[], byte[]> call, Metadata headers) {
        drainCall.set(call);
        return new ServerCall.Listener<>() {
            @Override
            public void onMessage(byte[] message) {
                drained.addAndGet(message.length);
            }

            @Override
            public void onHalfClose() {
                call.sendHeaders(new Metadata());
                call.sendMessage(Long.toString(drained.get()).getBytes(StandardCharsets.UTF_8));
                call.close(Status.OK, new Metadata());
            }
        };
    }

    /** Lets the drain method read (once its call has started). */
    void releaseDrain() {
        org.awaitility.Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> drainCall.get() != null);
        drainCall.get().request(Integer.MAX_VALUE);
    }

    /** Where the backend listens, for a gRPC channel. */
    int port() {
        return server.getPort();
    }

    @Override
    public void close() throws InterruptedException {
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
    }

    /** Records each call's headers and deadline, and adds response headers and trailers to every call. */
    private final class Recorder implements ServerInterceptor {
        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                          ServerCallHandler<Q, R> next) {
            requestHeaders.set(headers);
            deadline.set(Context.current().getDeadline());
            return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
                @Override
                public void sendHeaders(Metadata h) {
                    h.put(H_ASCII, "header value");
                    h.put(H_BIN, new byte[] {1, 2, 3, (byte) 0xff});
                    super.sendHeaders(h);
                }

                @Override
                public void close(Status status, Metadata trailers) {
                    if (status.isOk()) {
                        trailers.put(T_ASCII, "trailer value");
                        trailers.put(T_BIN, new byte[] {4, 5, 6, 0});
                    }
                    super.close(status, trailers);
                }
            }, headers);
        }
    }
}
