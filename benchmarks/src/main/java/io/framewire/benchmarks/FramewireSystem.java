package io.framewire.benchmarks;

import io.framewire.Client;
import io.framewire.ExecutionMode;
import io.framewire.transport.tcp.TcpOptions;
import java.util.List;

/** Framewire over TCP through its public API: one {@link Client}, which holds one connection. */
final class FramewireSystem implements EchoSystem {
    private final TcpOptions.ReaderThreads reader;
    private final ExecutionMode handler;

    /**
     * @param reader reader threads on client and server, or null for the transport's default
     * @param handler where the server runs the echo handler
     */
    FramewireSystem(TcpOptions.ReaderThreads reader, ExecutionMode handler) {
        this.reader = reader;
        this.handler = handler;
    }

    @Override
    public String name() {
        return "framewire";
    }

    @Override
    public Class<?> serverMain() {
        return FramewireEchoServer.class;
    }

    @Override
    public List<String> serverArgs() {
        return List.of(FramewireEcho.readerArg(reader), handler.name());
    }

    @Override
    public EchoClient connect(int port) {
        return new FramewireEchoClient(client(port));
    }

    @Override
    public List<StreamingVariant> streamingVariants() {
        return List.of(
                new StreamingVariant("framewire pulled",
                        "Client.newCall, a virtual thread per stream iterating call.responses()",
                        port -> new FramewireStreamClients.Pulled(client(port))),
                new StreamingVariant("framewire pushed",
                        "Client.startCall with a ClientCall.Listener (auto-request), default callback executor",
                        port -> new FramewireStreamClients.Pushed(client(port))));
    }

    private Client client(int port) {
        return Client.builder("tcp://127.0.0.1:" + port)
                .transportOptions(FramewireEcho.tcpOptions(reader))
                .connect();
    }

    @Override
    public String describe() {
        return "TCP reader threads " + FramewireEcho.describeReader(reader) + " (client and server), server handler "
                + handler + "; Client.call, Codec.bytes()";
    }

    private record FramewireEchoClient(Client client) implements EchoClient {
        @Override
        public byte[] echo(byte[] payload) {
            return client.call(FramewireEcho.ECHO, payload);
        }

        @Override
        public void close() {
            client.close();
        }
    }
}
