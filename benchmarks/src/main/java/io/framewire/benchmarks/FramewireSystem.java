package io.framewire.benchmarks;

import io.framewire.Client;
import io.framewire.ExecutionMode;
import io.framewire.transport.tcp.TcpOptions;
import io.framewire.transport.udp.UdpOptions;
import io.framewire.transport.unix.UnixOptions;
import java.util.List;

/**
 * Framewire through its public API over TCP or AF_UNIX: one {@link Client}, which holds one connection.
 * The TCP reader-thread option applies to TCP only; over AF_UNIX client and server keep
 * {@link UnixOptions}' defaults.
 */
final class FramewireSystem implements EchoSystem {
    private final Transport transport;
    private final TcpOptions.ReaderThreads reader;
    private final ExecutionMode handler;

    /**
     * @param reader TCP reader threads on client and server, or null for the transport's default
     * @param handler where the server runs the echo handler
     */
    FramewireSystem(Transport transport, TcpOptions.ReaderThreads reader, ExecutionMode handler) {
        this.transport = transport;
        this.reader = reader;
        this.handler = handler;
    }

    @Override
    public String name() {
        return "framewire";
    }

    @Override
    public Transport transport() {
        return transport;
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
    public EchoClient connect(Endpoint endpoint) {
        return new FramewireEchoClient(client(endpoint));
    }

    @Override
    public List<StreamingVariant> streamingVariants() {
        return List.of(
                new StreamingVariant("framewire pulled",
                        "Client.newCall, a virtual thread per stream iterating call.responses()",
                        endpoint -> new FramewireStreamClients.Pulled(client(endpoint))),
                new StreamingVariant("framewire pushed",
                        "Client.startCall with a ClientCall.Listener (auto-request), default callback executor",
                        endpoint -> new FramewireStreamClients.Pushed(client(endpoint))));
    }

    private Client client(Endpoint endpoint) {
        Client.Builder builder = Client.builder(FramewireEcho.address(endpoint));
        if (endpoint instanceof Endpoint.Tcp) {
            builder.transportOptions(FramewireEcho.tcpOptions(reader));
        } else if (endpoint instanceof Endpoint.Udp) {
            builder.transportOptions(FramewireEcho.udpOptions(reader));
        }
        return builder.connect();
    }

    @Override
    public String describe() {
        String threads = switch (transport) {
            case TCP -> "TCP reader threads " + FramewireEcho.describeReader(reader);
            case UNIX -> "framewire-transport-unix (junixsocket), reader threads "
                    + UnixOptions.defaults().readerThreads() + " (UnixOptions default)";
            case UDP -> "framewire-transport-udp, " + UdpOptions.defaults().maxDatagramSize() + "-byte datagrams, reader threads "
                    + FramewireEcho.udpOptions(reader).readerThreads();
        };
        return threads + " (client and server), server handler " + handler + "; Client.call, Codec.bytes()";
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
