package io.framewire.grpc;

import io.framewire.AsyncHandler;
import io.framewire.ServerCall;
import io.framewire.ServerCallContext;
import io.framewire.Status;
import io.framewire.StatusException;
import io.framewire.protocol.Metadata;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import java.util.Objects;

/**
 * Framewire to gRPC: a fallback handler that forwards every Framewire call a server does not serve
 * itself to a gRPC backend, so Framewire clients (over unix, say) reach any gRPC server.
 *
 * <pre>{@code
 * ManagedChannel backend = NettyChannelBuilder.forAddress("10.0.0.7", 50051).usePlaintext().build();
 * try (Server server = Server.builder()
 *         .listen("unix:///run/grpc-proxy.sock")
 *         .fallback(GrpcProxy.to(backend))
 *         .build().start()) {
 *     ...
 * }
 * }</pre>
 *
 * <h2>What is forwarded</h2>
 * Each Framewire call becomes a gRPC call on the backend channel with the same full method name, its
 * messages passed through as bytes, in whatever shape the Framewire client called it.
 * <ul>
 *   <li>all four call shapes (gRPC's wire does not carry the shape: the backend applies its own);</li>
 *   <li>metadata both ways, ASCII and {@code -bin}: request metadata, response headers and trailers,
 *       without gRPC's reserved headers and Framewire's {@code fw-*} keys;</li>
 *   <li>the Framewire call's deadline becomes the gRPC call's deadline;</li>
 *   <li>cancellation both ways: a Framewire client that cancels (or whose deadline passes, or whose
 *       connection drops) cancels the gRPC call; a gRPC call that ends {@code CANCELLED} ends the
 *       Framewire call so;</li>
 *   <li>the status code, its description and the trailers; a backend that cannot be reached is
 *       {@code UNAVAILABLE}, with grpc-java's reason.</li>
 * </ul>
 *
 * <h2>Flow control</h2>
 * End to end: the proxy asks the gRPC backend for more responses only while the Framewire call can
 * send them without waiting, and takes more of the Framewire client's messages only while the gRPC
 * call is ready for them, so neither a slow Framewire client nor a slow gRPC backend makes the proxy
 * buffer more than a few messages beyond the windows.
 *
 * <h2>Threads</h2>
 * The handler is thread-safe and serves any number of calls; the channel is the caller's, shared by
 * them and never shut down here. Events of the Framewire side run on the server's executor, those of
 * the gRPC side on the channel's.
 */
public final class GrpcProxy {
    private final Channel backend;
    private final ByName<io.grpc.MethodDescriptor<byte[], byte[]>> methods = new ByName<>(PassThrough::grpcMethod);

    private GrpcProxy(Channel backend) {
        this.backend = backend;
    }

    /**
     * A handler for {@link io.framewire.Server.Builder#fallback} that forwards every call to
     * {@code backend}.
     */
    public static AsyncHandler<byte[], byte[]> to(Channel backend) {
        GrpcProxy proxy = new GrpcProxy(Objects.requireNonNull(backend, "backend"));
        return proxy::start;
    }

    private ServerCall.Listener<byte[]> start(ServerCall<byte[], byte[]> call) {
        ServerCallContext context = call.context();
        CallOptions options = CallOptions.DEFAULT;
        if (context.deadline().isPresent()) {
            options = options.withDeadline(Mapping.toGrpc(context.deadline().get()));
        }
        ClientCall<byte[], byte[]> grpc = backend.newCall(methods.get(context.methodName()), options);
        Forwarded forwarded = new Forwarded(call, grpc, backend.authority());
        grpc.start(forwarded.new FromGrpc(), Mapping.toGrpc(context.requestMetadata()));
        forwarded.responses.poll();
        forwarded.requests.poll();
        return forwarded.new FromFramewire();
    }

    /** One Framewire call forwarded to the gRPC backend. */
    private static final class Forwarded {
        private final ServerCall<byte[], byte[]> framewire;
        private final ClientCall<byte[], byte[]> grpc;
        /** Framewire client -> gRPC backend: asks Framewire for messages while the gRPC call is ready. */
        private final Demand requests;
        /** gRPC backend -> Framewire client: asks gRPC for messages while the Framewire call can send. */
        private final Demand responses;
        private final String authority;

        Forwarded(ServerCall<byte[], byte[]> framewire, ClientCall<byte[], byte[]> grpc, String authority) {
            this.framewire = framewire;
            this.grpc = grpc;
            this.authority = authority;
            this.requests = new Demand(framewire::request, grpc::isReady);
            this.responses = new Demand(grpc::request, framewire::isReady);
        }

        /**
         * The backend's status as the Framewire call's. One that grpc-java made itself (it has a local
         * cause: the backend unreachable, the connection lost) also says which backend and why.
         */
        private Status fromBackend(io.grpc.Status status) {
            if (status.getCause() == null || status.isOk()) {
                return Mapping.fromGrpc(status);
            }
            String what = status.getDescription() == null ? "" : status.getDescription() + ": ";
            return Status.of(Mapping.fromGrpc(status).code(), "gRPC backend " + authority + ": " + what + status.getCause());
        }

        /** The Framewire client's side: its messages, half-close and cancellation go to the backend. */
        private final class FromFramewire implements ServerCall.Listener<byte[]> {
            @Override
            public boolean autoRequest() {
                return false;
            }

            @Override
            public void onMessage(byte[] message) {
                try {
                    grpc.sendMessage(message);
                } catch (IllegalStateException e) {
                    return; // the gRPC call was cancelled: this call is ending too
                }
                requests.delivered();
            }

            @Override
            public void onHalfClose() {
                grpc.halfClose();
            }

            @Override
            public void onCancel(Status status) {
                requests.stop();
                responses.stop();
                grpc.cancel("the Framewire call ended: " + status, null);
            }

            @Override
            public void onReady() {
                responses.poll();
            }
        }

        /** The backend's side: its headers, messages and end go to the Framewire client. */
        private final class FromGrpc extends ClientCall.Listener<byte[]> {
            @Override
            public void onHeaders(io.grpc.Metadata headers) {
                Metadata h = Mapping.fromGrpc(headers);
                if (h.isEmpty()) {
                    return; // Framewire's "no HEADERS" means empty headers: nothing to send
                }
                try {
                    framewire.sendHeaders(h);
                } catch (IllegalStateException | StatusException e) {
                    // The Framewire call has ended; its cancellation reaches the backend through onCancel.
                }
            }

            @Override
            public void onMessage(byte[] message) {
                try {
                    framewire.send(message);
                } catch (StatusException e) {
                    return; // ended: onCancel cancels the backend call
                }
                responses.delivered();
            }

            @Override
            public void onClose(io.grpc.Status status, io.grpc.Metadata trailers) {
                requests.stop();
                responses.stop();
                framewire.close(fromBackend(status), Mapping.fromGrpc(trailers));
            }

            @Override
            public void onReady() {
                requests.poll();
            }
        }
    }
}
