package io.framewire.transport.udp;

import io.framewire.Client;
import io.framewire.Server;
import java.time.Duration;

/** What the pub/sub-over-udp tests share: a server on port 0, clients, relays, all closed after each test. */
abstract class UdpPubSubFixture extends ClosesAfterEach {
    Server server;
    UdpServerEndpoint endpoint;

    void startServer(UdpOptions options) throws Exception {
        server = Server.builder().listen("udp://127.0.0.1:0", options).build().start();
        open.add(server);
        endpoint = UdpServerEndpoint.BOUND.get(server.address().port());
    }

    Client client(int port, UdpOptions options) throws Exception {
        Client c = Client.builder("udp://127.0.0.1:" + port).transportOptions(options)
                .connectTimeout(Duration.ofSeconds(10)).connect();
        open.add(c);
        return c;
    }

    Client client() throws Exception {
        return client(server.address().port(), UdpOptions.defaults());
    }

    /** A {@link ScriptedRelay} to the server, closed after the test. */
    ScriptedRelay relay(ScriptedRelay.Script script) throws Exception {
        ScriptedRelay relay = new ScriptedRelay(server.address().port(), script);
        open.add(relay);
        return relay;
    }

    /** The client connection to {@code port} (a relay's, or the server's), for its counters. */
    static UdpClientConnection connectionTo(int port) {
        return UdpClientConnection.OPEN.stream().filter(c -> c.remoteAddress().endsWith(":" + port)).findFirst().orElseThrow();
    }
}
