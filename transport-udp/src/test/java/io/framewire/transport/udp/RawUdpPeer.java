package io.framewire.transport.udp;

import io.framewire.protocol.Frame;
import io.framewire.protocol.FrameEncoder;
import io.framewire.protocol.Handshake;
import io.framewire.protocol.Metadata;
import io.framewire.protocol.MethodType;
import io.framewire.protocol.Settings;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/** A UDP peer that speaks raw datagrams to a server, for tests of what the server does with them. */
final class RawUdpPeer implements AutoCloseable {
    final DatagramSocket socket;
    final InetSocketAddress server;
    final long session;
    final AtomicLong bytesSent = new AtomicLong();
    final AtomicLong bytesReceived = new AtomicLong();
    byte[] cookie;

    RawUdpPeer(int serverPort) throws IOException {
        this(serverPort, ThreadLocalRandom.current().nextLong() | 1L);
    }

    RawUdpPeer(int serverPort, long session) throws IOException {
        this.server = new InetSocketAddress(InetAddress.getLoopbackAddress(), serverPort);
        this.session = session;
        this.socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        socket.setSoTimeout(100);
    }

    void send(byte[] d) throws IOException {
        socket.send(new DatagramPacket(d, d.length, server));
        bytesSent.addAndGet(d.length);
    }

    /** The next datagram within {@code millis}, or empty. */
    Optional<byte[]> receive(long millis) throws IOException {
        long until = System.currentTimeMillis() + millis;
        byte[] buffer = new byte[65_536];
        while (System.currentTimeMillis() < until) {
            DatagramPacket p = new DatagramPacket(buffer, buffer.length);
            try {
                socket.receive(p);
            } catch (SocketTimeoutException e) {
                continue;
            }
            bytesReceived.addAndGet(p.getLength());
            return Optional.of(Arrays.copyOf(p.getData(), p.getLength()));
        }
        return Optional.empty();
    }

    /** The next datagram matching {@code wanted} within {@code millis}; others are skipped. */
    Optional<byte[]> receive(long millis, Predicate<byte[]> wanted) throws IOException {
        long until = System.currentTimeMillis() + millis;
        while (System.currentTimeMillis() < until) {
            Optional<byte[]> d = receive(until - System.currentTimeMillis());
            if (d.isPresent() && wanted.test(d.get())) {
                return d;
            }
        }
        return Optional.empty();
    }

    static Predicate<byte[]> kind(int kind) {
        return d -> d.length > DatagramLayout.KIND_OFFSET && d[DatagramLayout.KIND_OFFSET] == kind;
    }

    static Predicate<byte[]> kind(int kind, int id) {
        return kind(kind).and(d -> d.length >= DatagramLayout.ACK_LENGTH && ByteBuffer.wrap(d).getInt(DatagramLayout.ID_OFFSET) == id);
    }

    /** A verified session with a completed HELLO exchange; returns the ACCEPT datagram. */
    byte[] handshake() throws IOException {
        send(DatagramLayout.cookieDatagram(DatagramLayout.INITIAL, session, new byte[0], new byte[0], 1200));
        byte[] retry = receive(2000, kind(DatagramLayout.RETRY)).orElseThrow(() -> new IOException("no RETRY"));
        cookie = Arrays.copyOfRange(retry, DatagramLayout.COOKIE_OFFSET, retry.length);
        return initial(FrameEncoder.encode(Handshake.clientHello(Settings.defaults())));
    }

    /** Sends INITIAL with the cookie and {@code hello}; returns the server's ACCEPT. */
    byte[] initial(byte[] hello) throws IOException {
        send(DatagramLayout.cookieDatagram(DatagramLayout.INITIAL, session, cookie, hello, 1200));
        return receive(2000, kind(DatagramLayout.ACCEPT)).orElseThrow(() -> new IOException("no ACCEPT"));
    }

    /** CALL, MESSAGE, HALF_CLOSE of a unary call on {@code stream}, as one message. */
    static byte[] request(int stream, String method, byte[] payload) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(FrameEncoder.encode(new Frame.Call(stream, MethodType.UNARY, -1, method, Metadata.EMPTY)));
        b.writeBytes(FrameEncoder.encode(Frame.Message.whole(stream, payload)));
        b.writeBytes(FrameEncoder.encode(new Frame.HalfClose(stream)));
        return b.toByteArray();
    }

    void sendRequest(int stream, int floor, String method, byte[] payload, int maxDatagram) throws IOException {
        for (byte[] d : DatagramLayout.fragments(session, DatagramLayout.CHANNEL_CALL, stream, floor,
                request(stream, method, payload), maxDatagram)) {
            send(d);
        }
    }

    /** One DATA datagram with whatever fields a test wants. */
    byte[] data(long sessionId, int channel, int floor, int id, int total, int offset, byte[] bytes) {
        ByteBuffer b = ByteBuffer.allocate(DatagramLayout.DATA_HEADER_LENGTH + bytes.length);
        DatagramLayout.header(b, DatagramLayout.DATA, sessionId).put((byte) channel).putInt(floor).putInt(id)
                .putInt(total).putInt(offset).put(bytes);
        return b.array();
    }

    @Override
    public void close() {
        socket.close();
    }
}
