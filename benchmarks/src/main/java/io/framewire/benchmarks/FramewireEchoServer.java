package io.framewire.benchmarks;

import io.framewire.ExecutionMode;
import io.framewire.Server;

/**
 * Framewire's server for the unary echo and the streaming flood ({@link FramewireFlood}). Arguments:
 * the endpoint ({@code tcp:0} or {@code unix:PATH}), the TCP reader-thread kind ({@code VIRTUAL},
 * {@code PLATFORM} or {@code default}; AF_UNIX keeps its transport's default) and the echo handler's
 * {@link ExecutionMode}.
 */
public final class FramewireEchoServer {
    private FramewireEchoServer() {}

    public static void main(String[] args) {
        if (args.length != 3) {
            throw new IllegalArgumentException(
                    "usage: FramewireEchoServer <tcp:0|unix:PATH> <VIRTUAL|PLATFORM|default> <VIRTUAL_THREAD|INLINE>");
        }
        Endpoint listen = Endpoint.parse(args[0]);
        ExecutionMode mode = FramewireEcho.parseHandlerArg(args[2]);

        Server.Builder builder = Server.builder();
        switch (listen) {
            case Endpoint.Tcp tcp -> builder.listen(FramewireEcho.address(tcp),
                    FramewireEcho.tcpOptions(FramewireEcho.parseReaderArg(args[1])));
            case Endpoint.Unix unix -> builder.listen(FramewireEcho.address(unix));
            case Endpoint.Udp udp -> builder.listen(FramewireEcho.address(udp),
                    FramewireEcho.udpOptions(FramewireEcho.parseReaderArg(args[1])));
        }
        Server server = builder
                .service(FramewireEcho.service(mode))
                .service(FramewireFlood.service())
                .build()
                .start();
        ChildServer.announceAndServe(FramewireEcho.endpoint(server.address()));
    }
}
