package io.framewire.transport.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framewire.CallOptions;
import io.framewire.Client;
import io.framewire.Codec;
import io.framewire.MethodDescriptor;
import io.framewire.Server;
import io.framewire.Service;
import io.framewire.Status;
import io.framewire.StatusException;
import io.framewire.protocol.StatusCode;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** udp:// end to end on loopback: calls, errors, and what the transport refuses. */
@Timeout(20)
class UdpTransportTest {
    static final MethodDescriptor<String, String> ECHO = MethodDescriptor.unary("test.Echo/Echo", Codec.utf8(), Codec.utf8());

    static Service echo() {
        return Service.builder("test.Echo").unary(ECHO, (s, ctx) -> {
            if (s.startsWith("fail:")) {
                throw Status.of(StatusCode.NOT_FOUND, s.substring(5)).asException();
            }
            return s;
        }).build();
    }

    @Test
    void aUnaryCallRoundTripsAndAnErrorStatusComesBack() {
        try (Server server = Server.builder().listen("udp://127.0.0.1:0").service(echo()).build().start();
             Client client = Client.connect(server.address().toString())) {
            assertEquals("hi", client.call(ECHO, "hi", CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(5))));
            StatusException e = assertThrows(StatusException.class,
                    () -> client.call(ECHO, "fail:nope", CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(5))));
            assertEquals(StatusCode.NOT_FOUND, e.status().code());
            assertEquals("nope", e.status().description());
        }
    }

    @Test
    void aStreamingCallThatArrivesAnywayIsUnimplementedAndItsHandlerNeverRuns() throws Exception {
        java.util.concurrent.atomic.AtomicInteger ran = new java.util.concurrent.atomic.AtomicInteger();
        MethodDescriptor<String, String> chat = MethodDescriptor.bidiStreaming("test.Chat/Talk", Codec.utf8(), Codec.utf8());
        Service chatService = Service.builder("test.Chat").bidiStreaming(chat, call -> ran.incrementAndGet()).build();
        try (Server server = Server.builder().listen("udp://127.0.0.1:0").service(chatService).build().start();
             RawUdpPeer raw = new RawUdpPeer(server.address().port())) {
            raw.handshake();
            java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
            b.writeBytes(io.framewire.protocol.FrameEncoder.encode(new io.framewire.protocol.Frame.Call(1,
                    io.framewire.protocol.MethodType.BIDI_STREAMING, -1, "test.Chat/Talk", io.framewire.protocol.Metadata.EMPTY)));
            b.writeBytes(io.framewire.protocol.FrameEncoder.encode(io.framewire.protocol.Frame.Message.whole(1, new byte[] {'x'})));
            b.writeBytes(io.framewire.protocol.FrameEncoder.encode(new io.framewire.protocol.Frame.HalfClose(1)));
            for (byte[] d : DatagramLayout.fragments(raw.session, DatagramLayout.CHANNEL_CALL, 1, 0, b.toByteArray(), 1200)) {
                raw.send(d);
            }
            byte[] response = raw.receive(5000, RawUdpPeer.kind(DatagramLayout.DATA)).orElseThrow();
            java.util.List<io.framewire.protocol.Frame> frames = new java.util.ArrayList<>();
            io.framewire.protocol.FrameDecoder.afterHandshake(1 << 20).decode(java.nio.ByteBuffer.wrap(response,
                    DatagramLayout.DATA_HEADER_LENGTH, response.length - DatagramLayout.DATA_HEADER_LENGTH), frames::add);
            io.framewire.protocol.Frame.Status status = (io.framewire.protocol.Frame.Status) frames.get(frames.size() - 1);
            assertEquals(StatusCode.UNIMPLEMENTED, status.code());
            assertEquals("streaming is not supported over udp: datagrams may be lost or reordered", status.message());
            assertEquals(0, ran.get());
        }
    }

    /**
     * A group has no server. (Connecting to one sends multicast datagrams, so that is tested only inside
     * a network namespace: MulticastNamespaceTest.)
     */
    @Test
    void listeningOnAMulticastGroupIsRefusedWithAClearReason() {
        Exception listen = assertThrows(Exception.class,
                () -> Server.builder().listen("udp://239.1.2.3:0").service(echo()).build().start());
        String said = listen.getMessage() + " / " + listen.getCause();
        assertTrue(said.contains("is a multicast group, which has no server to listen"), said);
    }

    @Test
    void anAcknowledgedPublishOverUdpCompletesBesideCalls() throws Exception {
        try (Server server = Server.builder().listen("udp://127.0.0.1:0").service(echo()).build().start();
             Client client = Client.connect(server.address().toString())) {
            client.publishAcked("a.b", new byte[] {1}, io.framewire.protocol.Metadata.EMPTY)
                    .get(5, java.util.concurrent.TimeUnit.SECONDS); // pub/sub details: UdpPubSubTest
            assertEquals("hi", client.call(ECHO, "hi"));
        }
    }

    @Test
    void aClientWhoseServerVanishesFailsItsCallsAfterTheIdleTimeout() throws Exception {
        UdpOptions quick = UdpOptions.builder().keepaliveInterval(Duration.ofMillis(100)).idleTimeout(Duration.ofMillis(600)).build();
        Server server = Server.builder().listen("udp://127.0.0.1:0", quick).service(echo()).build().start();
        java.util.concurrent.atomic.AtomicBoolean vanished = new java.util.concurrent.atomic.AtomicBoolean();
        try (ScriptedRelay relay = new ScriptedRelay(server.address().port(),
                (fromServer, d) -> fromServer && vanished.get() ? java.util.List.of() : java.util.List.of(d));
             Client client = Client.builder("udp://127.0.0.1:" + relay.port()).transportOptions(quick).connect()) {
            assertEquals("hi", client.call(ECHO, "hi"));
            // Silence the server without a CLOSE: nothing it sends reaches the client any more.
            vanished.set(true);
            StatusException e = assertThrows(StatusException.class,
                    () -> client.call(ECHO, "anyone?", CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(10))));
            assertEquals(StatusCode.UNAVAILABLE, e.status().code());
            assertTrue(e.status().description().contains("no datagram from"), e.status().description());
        } finally {
            server.close();
        }
    }

    @Test
    void responsesBeingBuiltAreBoundedForTheWholeServerAndAResponseBeyondTheBoundEndsByItsDeadline() {
        MethodDescriptor<Integer, byte[]> make = MethodDescriptor.unary("test.Make/Bytes",
                Codec.of(i -> java.nio.ByteBuffer.allocate(4).putInt(i).array(), b -> java.nio.ByteBuffer.wrap(b).getInt()),
                Codec.bytes());
        Service maker = Service.builder("test.Make").unary(make, (n, ctx) -> new byte[n]).build();
        UdpOptions small = UdpOptions.builder().heldBytes(64 << 10).build();
        try (Server server = Server.builder().listen("udp://127.0.0.1:0", small).service(maker).build().start();
             Client client = Client.connect(server.address().toString())) {
            UdpServerEndpoint endpoint = UdpServerEndpoint.BOUND.get(server.address().port());
            // 1 MiB cannot be built in 64 KiB plus the engine's windows: the engine waits for credit.
            StatusException e = assertThrows(StatusException.class,
                    () -> client.call(make, 1 << 20, CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(2))));
            assertEquals(StatusCode.DEADLINE_EXCEEDED, e.status().code());
            assertTrue(endpoint.heldTotal.get() <= (64 << 10) + (256 << 10), "held " + endpoint.heldTotal.get());
            // What fits is served as before.
            assertEquals(10_000, client.call(make, 10_000, CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(5))).length);
        }
    }
}
