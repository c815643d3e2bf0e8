package io.framewire.benchmarks;

import io.framewire.ExecutionMode;
import io.framewire.Server;
import io.framewire.grpc.GrpcGateway;
import java.nio.file.Path;

/**
 * The {@code gateway} system's server JVM: a Framewire server over AF_UNIX with the echo and the flood
 * of {@link FramewireEchoServer}, and in front of it a {@link GrpcGateway} that forwards every gRPC call
 * to it, listening on TCP loopback or on a socket file (epoll domain sockets). The gateway's own
 * connection to the Framewire server is a real AF_UNIX connection, within this JVM. Arguments: the
 * gateway's endpoint ({@code tcp:0} or {@code unix:PATH}), the Framewire server's socket file, and the
 * echo handler's {@link ExecutionMode}.
 */
public final class GatewayEchoServer {
    private GatewayEchoServer() {}

    public static void main(String[] args) {
        if (args.length != 3) {
            throw new IllegalArgumentException("usage: GatewayEchoServer <tcp:0|unix:PATH> <backend socket path> <VIRTUAL_THREAD|INLINE>");
        }
        GrpcEchoServer.dropCancelledWriteWarnings();
        GrpcDomainSockets.dropNoKeepaliveWarnings();
        Endpoint listen = Endpoint.parse(args[0]);
        Server server = Server.builder()
                .listen(FramewireEcho.address(new Endpoint.Unix(Path.of(args[1]))))
                .service(FramewireEcho.service(FramewireEcho.parseHandlerArg(args[2])))
                .service(FramewireFlood.service())
                .build()
                .start();
        GrpcGateway.Builder builder = GrpcGateway.builder(server.address().toString());
        switch (listen) {
            case Endpoint.Tcp tcp -> builder.bindAddress("127.0.0.1").port(tcp.port());
            case Endpoint.Unix unix -> builder.unixSocket(unix.path());
            case Endpoint.Udp udp -> throw new IllegalArgumentException("the gateway does not run over udp");
        }
        GrpcGateway gateway = builder.build().start();
        ChildServer.announceAndServe(listen instanceof Endpoint.Tcp ? new Endpoint.Tcp(gateway.port()) : listen);
    }
}
