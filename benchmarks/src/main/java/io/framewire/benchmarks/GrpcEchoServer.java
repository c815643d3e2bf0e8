package io.framewire.benchmarks;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.logging.Logger;

/**
 * gRPC-Java's server for the unary echo ({@link GrpcEcho}) and the streaming flood ({@link GrpcFlood}):
 * Netty (shaded), plaintext, every other setting at its default; over AF_UNIX on epoll domain sockets
 * ({@link GrpcDomainSockets}). Arguments: the endpoint ({@code tcp:0} or {@code unix:PATH}), then
 * optionally {@value #DIRECT_EXECUTOR}, which runs the handlers on the event loops ({@code directExecutor})
 * instead of gRPC's default executor.
 */
public final class GrpcEchoServer {
    private GrpcEchoServer() {}

    /**
     * Netty's gRPC server handler logs a warning with a stack trace when a client cancels a stream
     * while data for it still waits to be written ("Stream closed before write could take place"),
     * which is how every streaming phase ends. Only that record is dropped; anything else it logs
     * still shows. Held here so the configured logger is not garbage-collected.
     */
    private static final Logger NETTY_SERVER_HANDLER = Logger.getLogger(
            "io.grpc.netty.shaded.io.grpc.netty.NettyServerHandler");
    private static final String CANCELLED_WRITE = "Stream closed before write could take place";

    /** The argument that selects {@code directExecutor}. */
    static final String DIRECT_EXECUTOR = "direct-executor";

    /** Filters out the warning described at {@link #NETTY_SERVER_HANDLER}, for any gRPC server in this JVM. */
    static void dropCancelledWriteWarnings() {
        NETTY_SERVER_HANDLER.setFilter(r -> r.getThrown() == null || !CANCELLED_WRITE.equals(r.getThrown().getMessage()));
    }

    public static void main(String[] args) throws IOException {
        dropCancelledWriteWarnings();
        Endpoint listen = Endpoint.parse(args[0]);
        NettyServerBuilder builder = switch (listen) {
            case Endpoint.Tcp tcp -> NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), tcp.port()));
            case Endpoint.Unix unix -> GrpcDomainSockets.serverBuilder(unix.path());
            case Endpoint.Udp udp -> throw new IllegalArgumentException("gRPC does not run over udp");
        };
        if (args.length > 1 && args[1].equals(DIRECT_EXECUTOR)) {
            builder.directExecutor();
        }
        Server server = builder
                .addService(GrpcEcho.service())
                .addService(GrpcFlood.service())
                .build()
                .start();
        ChildServer.announceAndServe(listen instanceof Endpoint.Tcp ? new Endpoint.Tcp(server.getPort()) : listen);
    }
}
