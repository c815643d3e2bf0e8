package io.framewire.transport.udp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framewire.Address;
import io.framewire.protocol.Frame;
import io.framewire.protocol.FrameEncoder;
import io.framewire.protocol.Handshake;
import io.framewire.protocol.OverflowPolicy;
import io.framewire.protocol.Settings;
import io.framewire.spi.Connection;
import io.framewire.transport.udp.UdpCounters.Drop;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the server endpoint's shared threads do when something throws while they serve one peer: the
 * receiver survives a RuntimeException or an OutOfMemoryError (the datagram is lost and counted), the
 * ticker survives a fault in one peer's timers (that peer ends), and any other Error fails the
 * endpoint loudly (its peers' connections fail, the socket closes, accept throws). Faults are
 * injected through a {@link FailingDatagramChannel} under a real endpoint; this test plays the engine.
 */
@Timeout(30)
class UdpServerFaultTest extends ClosesAfterEach {
    FailingDatagramChannel channel;
    UdpServerEndpoint endpoint;

    private void startEndpoint(UdpOptions options) throws IOException {
        DatagramChannel real = DatagramChannel.open();
        real.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        channel = new FailingDatagramChannel(real);
        int port = ((InetSocketAddress) real.getLocalAddress()).getPort();
        endpoint = new UdpServerEndpoint(channel, Address.parse("udp://127.0.0.1:" + port), options);
        open.add(endpoint::closeDraining);
        open.add(endpoint);
    }

    /** A raw client through the handshake; this test answers its HELLO as the server's engine would. */
    private Connection connect(RawUdpPeer raw) throws Exception {
        open.add(raw);
        CompletableFuture<Connection> accepted = CompletableFuture.supplyAsync(() -> {
            try {
                Connection c = endpoint.accept();
                c.write(ByteBuffer.wrap(FrameEncoder.encode(Handshake.serverHello(1, Settings.defaults()))));
                return c;
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        raw.handshake();
        return accepted.get(10, TimeUnit.SECONDS);
    }

    private static boolean keepaliveAnswered(RawUdpPeer raw) throws IOException {
        raw.send(DatagramLayout.small(DatagramLayout.KEEPALIVE, raw.session));
        return raw.receive(2000, RawUdpPeer.kind(DatagramLayout.KEEPALIVE)).isPresent();
    }

    @Test
    void theReceiverSurvivesARuntimeExceptionAndAnOutOfMemoryErrorAtTheCostOfOneDatagramEach() throws Exception {
        startEndpoint(UdpOptions.defaults());
        RawUdpPeer first = new RawUdpPeer(port());
        connect(first);
        channel.failNextReceive(new IllegalStateException("injected: a bug"));
        first.send(DatagramLayout.small(DatagramLayout.KEEPALIVE, first.session));
        await().atMost(Duration.ofSeconds(10)).until(() -> endpoint.counters.dropped(Drop.FAULT) == 1);
        channel.failNextReceive(new OutOfMemoryError("injected: memory short for a moment"));
        first.send(DatagramLayout.small(DatagramLayout.KEEPALIVE, first.session));
        await().atMost(Duration.ofSeconds(10)).until(() -> endpoint.counters.dropped(Drop.FAULT) == 2);
        // Still serving: the peer it had, and a new one.
        assertTrue(keepaliveAnswered(first));
        RawUdpPeer second = new RawUdpPeer(port());
        connect(second);
        assertTrue(keepaliveAnswered(second));
        assertEquals(2, endpoint.peerCount());
    }

    @Test
    void anErrorTheReceiverCannotSurviveFailsTheEndpointLoudly() throws Exception {
        startEndpoint(UdpOptions.defaults());
        RawUdpPeer raw = new RawUdpPeer(port());
        Connection c = connect(raw);
        LinkageError fatal = new LinkageError("injected: an error nothing survives");
        channel.failNextReceive(fatal);
        raw.send(DatagramLayout.small(DatagramLayout.KEEPALIVE, raw.session));
        // The peer's client is told, its connection toward the engine fails, accept throws, the socket closes.
        assertTrue(raw.receive(5000, RawUdpPeer.kind(DatagramLayout.CLOSE)).isPresent(), "the client got CLOSE");
        IOException failed = assertThrows(IOException.class, () -> readToTheEnd(c));
        assertTrue(failed.getMessage().contains("receiver met"), failed.getMessage());
        Error thrown = assertThrows(Error.class, endpoint::accept);
        assertSame(fatal, thrown.getCause());
        await().atMost(Duration.ofSeconds(10)).until(() -> !channel.isOpen()
                && !UdpServerEndpoint.BOUND.containsKey(port()));
        assertEquals(0, endpoint.peerCount());
    }

    @Test
    void aFaultInOnePeersTimersEndsThatPeerAndTheOthersAreStillServed() throws Exception {
        startEndpoint(UdpOptions.builder().subscriptionLease(Duration.ofMillis(200)).build());
        RawUdpPeer failing = new RawUdpPeer(port());
        Connection failingConnection = connect(failing);
        RawUdpPeer other = new RawUdpPeer(port());
        connect(other);
        // A subscription whose lease runs out: the ticker then sends its SUBSCRIPTION_END, and that send throws.
        channel.failNextSendOn("framewire-udp-server-ticker", new IllegalStateException("injected: a bug in a peer's timers"));
        byte[] subscribe = FrameEncoder.encode(new Frame.Subscribe(1, "a", "", OverflowPolicy.DROP_OLDEST, 100, 65536, 0, 64));
        failing.send(failing.data(failing.session, DatagramLayout.CHANNEL_PUBSUB, 1, 1, subscribe.length, 0, subscribe));
        assertTrue(failing.receive(5000, RawUdpPeer.kind(DatagramLayout.CLOSE)).isPresent(), "that peer was closed");
        assertFalse(channel.armed());
        IOException failed = assertThrows(IOException.class, () -> readToTheEnd(failingConnection));
        assertInstanceOf(IllegalStateException.class, failed.getCause());
        assertEquals(1, endpoint.peerCount());
        assertTrue(keepaliveAnswered(other));
        // The ticker still runs: the other peer's lease expires too, and its SUBSCRIPTION_END is sent.
        other.send(other.data(other.session, DatagramLayout.CHANNEL_PUBSUB, 1, 1, subscribe.length, 0, subscribe));
        await().atMost(Duration.ofSeconds(10)).until(() -> endpoint.counters.leasesExpired.sum() == 2);
    }

    /** Reads what the connection holds for the engine (the client's HELLO, ...) until its end or failure. */
    private static void readToTheEnd(Connection c) throws IOException {
        ByteBuffer sink = ByteBuffer.allocate(1 << 16);
        while (c.read(sink.clear()) >= 0) {
            // dropped
        }
    }

    private int port() {
        return endpoint.boundAddress().port();
    }
}
