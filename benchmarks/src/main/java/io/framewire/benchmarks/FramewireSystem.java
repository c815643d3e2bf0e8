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
        Client client = Client.builder("tcp://127.0.0.1:" + port)
                .transportOptions(FramewireEcho.tcpOptions(reader))
                .connect();
        return new FramewireEchoClient(client);
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
