package io.framewire.transport.udp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framewire.Server;
import io.framewire.protocol.Frame;
import io.framewire.protocol.FrameEncoder;
import io.framewire.protocol.FrameType;
import io.framewire.protocol.Handshake;
import io.framewire.protocol.Settings;
import io.framewire.spi.Connection;
import io.framewire.transport.udp.UdpCounters.Drop;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What a client connection's receiver and ticker do when something throws: the receiver survives a
 * RuntimeException or an OutOfMemoryError at the cost of one datagram; any other Error, or a fault in
 * its timers, fails that connection (and nothing else) rather than leaving it silently deaf. Faults are
 * injected through a {@link FailingDatagramChannel}; a real server answers; this test plays the
 * client's engine.
 */
@Timeout(30)
class UdpClientFaultTest extends ClosesAfterEach {
    FailingDatagramChannel channel;

    /** A client connection to a new server, through the HELLO exchange (the server's HELLO read). */
    private UdpClientConnection connect(UdpOptions options) throws Exception {
        Server server = Server.builder().listen("udp://127.0.0.1:0").build().start();
        open.add(server);
        UdpClientConnection c = UdpClientConnection.open(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                server.address().port()), options, Duration.ofSeconds(10), ch -> channel = new FailingDatagramChannel(ch));
        open.add(c);
        c.write(ByteBuffer.wrap(FrameEncoder.encode(Handshake.clientHello(Settings.defaults()))));
        assertTrue(readUntil(c, FrameType.HELLO));
        return c;
    }

    /** Reads the frames the connection hands its engine until one of {@code type}; false if it ended first. */
    private static boolean readUntil(Connection c, FrameType type) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(1 << 20);
        while (c.read(buf) >= 0) {
            buf.flip();
            while (buf.remaining() >= 4 && buf.remaining() >= 4 + buf.getInt(buf.position())) {
                int length = buf.getInt();
                int got = buf.get(buf.position()) & 0xFF;
                buf.position(buf.position() + length);
                if (got == type.code()) {
                    return true;
                }
            }
            buf.compact();
        }
        return false;
    }

    private static void ping(Connection c, long payload) throws IOException {
        c.write(ByteBuffer.wrap(FrameEncoder.encode(new Frame.Ping(payload))));
    }

    @Test
    void theReceiverSurvivesARuntimeExceptionAndAnOutOfMemoryErrorAtTheCostOfOneDatagramEach() throws Exception {
        UdpClientConnection c = connect(UdpOptions.defaults());
        channel.failNextReceive(new IllegalStateException("injected: a bug"));
        ping(c, 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> c.counters.dropped(Drop.FAULT) == 1);
        channel.failNextReceive(new OutOfMemoryError("injected: memory short for a moment"));
        ping(c, 2);
        await().atMost(Duration.ofSeconds(10)).until(() -> c.counters.dropped(Drop.FAULT) == 2);
        ping(c, 3);
        assertTrue(readUntil(c, FrameType.PONG), "still receiving");
    }

    @Test
    void anErrorTheReceiverCannotSurviveFailsThatConnection() throws Exception {
        UdpClientConnection c = connect(UdpOptions.defaults());
        channel.failNextReceive(new LinkageError("injected: an error nothing survives"));
        ping(c, 1);
        IOException failed = assertThrows(IOException.class, () -> readUntil(c, FrameType.PONG));
        assertTrue(failed.getMessage().contains("receiver for"), failed.getMessage());
        await().atMost(Duration.ofSeconds(10)).until(() -> !channel.isOpen());
    }

    @Test
    void aFaultInItsTimersFailsThatConnectionRatherThanLeavingItWithoutTimers() throws Exception {
        UdpClientConnection c = connect(UdpOptions.builder().keepaliveInterval(Duration.ofMillis(100)).build());
        // The ticker's next datagram (a keepalive, once the connection has been quiet for 100 ms) throws.
        channel.failNextSendOn("framewire-udp-client-ticker", new IllegalStateException("injected: a bug in the timers"));
        IOException failed = assertThrows(IOException.class, () -> readUntil(c, FrameType.PONG));
        assertTrue(failed.getMessage().contains("timers"), failed.getMessage());
        assertFalse(channel.armed());
    }
}
