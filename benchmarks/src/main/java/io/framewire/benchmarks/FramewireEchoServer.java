package io.framewire.benchmarks;

import io.framewire.ExecutionMode;
import io.framewire.Server;
import io.framewire.Service;
import io.framewire.transport.tcp.TcpOptions;

/**
 * Framewire's server for both scenarios, the unary echo and the streaming flood
 * ({@link FramewireFlood}). Arguments: the reader-thread kind ({@code VIRTUAL}, {@code PLATFORM} or
 * {@code default}) and the echo handler's {@link ExecutionMode}.
 */
public final class FramewireEchoServer {
    private FramewireEchoServer() {}

    public static void main(String[] args) {
        if (args.length != 2) {
            throw new IllegalArgumentException("usage: FramewireEchoServer <VIRTUAL|PLATFORM|default> <VIRTUAL_THREAD|INLINE>");
        }
        TcpOptions tcp = FramewireEcho.tcpOptions(FramewireEcho.parseReaderArg(args[0]));
        ExecutionMode mode = FramewireEcho.parseHandlerArg(args[1]);

        Service echo = Service.builder("bench.Echo")
                .unary(FramewireEcho.ECHO, mode, (request, ctx) -> request)
                .build();
        Server server = Server.builder()
                .listen("tcp://127.0.0.1:0", tcp)
                .service(echo)
                .service(FramewireFlood.service())
                .build()
                .start();
        ChildServer.announceAndServe(server.address().port());
    }
}
