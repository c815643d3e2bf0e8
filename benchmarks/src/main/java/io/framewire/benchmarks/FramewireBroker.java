package io.framewire.benchmarks;

import io.framewire.Server;

/**
 * The fan-out's Framewire broker: a server with no services, only the broker every Framewire server
 * has. Arguments: the endpoint ({@code tcp:0}) and the TCP reader-thread kind ({@code VIRTUAL},
 * {@code PLATFORM} or {@code default}).
 */
public final class FramewireBroker {
    private FramewireBroker() {}

    public static void main(String[] args) {
        if (args.length != 2 || !(Endpoint.parse(args[0]) instanceof Endpoint.Tcp tcp)) {
            throw new IllegalArgumentException("usage: FramewireBroker <tcp:PORT> <VIRTUAL|PLATFORM|default>");
        }
        Server server = Server.builder()
                .listen(FramewireEcho.address(tcp), FramewireEcho.tcpOptions(FramewireEcho.parseReaderArg(args[1])))
                .build()
                .start();
        ChildServer.announceAndServe(FramewireEcho.endpoint(server.address()));
    }
}
