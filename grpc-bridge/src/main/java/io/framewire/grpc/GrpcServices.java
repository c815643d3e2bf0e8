package io.framewire.grpc;

import io.framewire.Codec;
import io.framewire.MethodDescriptor;
import io.framewire.Service;
import io.framewire.protocol.MethodType;
import io.grpc.BindableService;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import java.util.Objects;

/**
 * grpc-java service code served natively by a Framewire {@link io.framewire.Server}, over any of its
 * transports, with no gRPC server running: a generated {@code *ImplBase}, a generated
 * {@code AsyncService} bound with its {@code XxxGrpc.bindService(impl)}, or any
 * {@link ServerServiceDefinition}, including one wrapped by
 * {@link io.grpc.ServerInterceptors#intercept}, whose interceptors then run as on a gRPC server.
 *
 * <pre>{@code
 * Server server = Server.builder()
 *         .listen("unix:///run/greeter.sock")
 *         .listen("tcp://0.0.0.0:7000")
 *         .service(GrpcServices.toService(new GreeterImpl()))
 *         .service(GrpcServices.toService(ServerInterceptors.intercept(new AuditedImpl(), audit)))
 *         .build()
 *         .start();
 * }</pre>
 * Call it with generated stubs over a {@link FramewireChannel}, or through the gateway with any gRPC
 * client.
 *
 * <h2>What the service sees</h2>
 * Each gRPC method becomes a Framewire async method of the same name and shape over the bytes of the
 * method's own marshallers (an {@code UNKNOWN} method type is served as a bidi stream). The service's
 * {@link io.grpc.ServerCall} behaves as on a gRPC server:
 * <ul>
 * <li>request metadata arrives as {@link io.grpc.Metadata} (ASCII and {@code -bin} keys; gRPC's reserved
 *     headers such as {@code grpc-*} and {@code :authority} are never present); response headers and
 *     trailers go back to the caller;</li>
 * <li>{@code Context.current()} in every callback carries the caller's deadline and is cancelled when the
 *     call is (client cancel, deadline, lost connection), so {@code Context.current().isCancelled()},
 *     {@code getDeadline()} and {@code ServerCallStreamObserver.setOnCancelHandler} work;</li>
 * <li>flow control is end to end: {@code request(n)} is what Framewire delivers, and {@code isReady()}
 *     / {@code onReady} follow the client's window. Where gRPC would buffer a response sent while not
 *     ready without bound, {@code sendMessage} here waits for room instead;</li>
 * <li>compression settings are ignored: Framewire does not compress messages;</li>
 * <li>{@code getAuthority()} is null (Framewire calls carry none); {@code getAttributes()} holds
 *     {@link io.grpc.Grpc#TRANSPORT_ATTR_REMOTE_ADDR}.</li>
 * </ul>
 *
 * <h2>Threads</h2>
 * A call's listener callbacks run one at a time on the Framewire server's handler executor (virtual
 * threads by default), so service code may block.
 */
public final class GrpcServices {

    private GrpcServices() {}

    /** {@code service}'s methods as a Framewire service of the same name. */
    public static Service toService(BindableService service) {
        return toService(Objects.requireNonNull(service, "service").bindService());
    }

    /** {@code definition}'s methods, with the handlers (and interceptors) it holds, as a Framewire service of the same name. */
    public static Service toService(ServerServiceDefinition definition) {
        Objects.requireNonNull(definition, "definition");
        Service.Builder builder = Service.builder(definition.getServiceDescriptor().getName());
        for (ServerMethodDefinition<?, ?> method : definition.getMethods()) {
            add(builder, method);
        }
        return builder.build();
    }

    private static <ReqT, RespT> void add(Service.Builder builder, ServerMethodDefinition<ReqT, RespT> definition) {
        io.grpc.MethodDescriptor<ReqT, RespT> method = definition.getMethodDescriptor();
        MethodDescriptor<byte[], byte[]> bytes = MethodDescriptor.create(method.getFullMethodName(),
                shapeOf(method.getType()), Codec.bytes(), Codec.bytes());
        builder.async(bytes, call -> HostedServerCall.start(method, definition.getServerCallHandler(), call));
    }

    /** The shape a gRPC method is served with; a method of unknown type is served as a bidi stream. */
    static MethodType shapeOf(io.grpc.MethodDescriptor.MethodType type) {
        return switch (type) {
            case UNARY -> MethodType.UNARY;
            case CLIENT_STREAMING -> MethodType.CLIENT_STREAMING;
            case SERVER_STREAMING -> MethodType.SERVER_STREAMING;
            case BIDI_STREAMING, UNKNOWN -> MethodType.BIDI_STREAMING;
        };
    }
}
