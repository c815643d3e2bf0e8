package io.framewire.benchmarks;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;

/**
 * The floor: the least a length-prefixed request/response can cost on this JVM. Blocking I/O on
 * platform threads, a 4-byte big-endian length then the payload. Over TCP, {@link Socket}s with
 * TCP_NODELAY on both sides; over AF_UNIX, the JDK's own blocking {@link SocketChannel}s
 * ({@link StandardProtocolFamily#UNIX}, JDK 16+) through their streams.
 */
final class RawSocketSystem implements EchoSystem {
    private final Transport transport;

    RawSocketSystem(Transport transport) {
        this.transport = transport;
    }

    @Override
    public String name() {
        return "raw";
    }

    @Override
    public Transport transport() {
        return transport;
    }

    @Override
    public Class<?> serverMain() {
        return RawEchoServer.class;
    }

    @Override
    public EchoClient connect(Endpoint endpoint) throws IOException {
        return switch (endpoint) {
            case Endpoint.Tcp tcp -> connectTcp(tcp.port());
            case Endpoint.Unix unix -> connectUnix(UnixDomainSocketAddress.of(unix.path()));
            case Endpoint.Udp udp -> new RawUdpEchoClient(udp.port());
        };
    }

    private static EchoClient connectTcp(int port) throws IOException {
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000);
            return new RawEchoClient(socket, socket.getInputStream(), socket.getOutputStream());
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    private static EchoClient connectUnix(UnixDomainSocketAddress address) throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.connect(address);
            return new RawEchoClient(channel, Channels.newInputStream(channel), Channels.newOutputStream(channel));
        } catch (IOException e) {
            channel.close();
            throw e;
        }
    }

    @Override
    public String describe() {
        return switch (transport) {
            case TCP -> "blocking java.net.Socket, platform threads, TCP_NODELAY";
            case UNIX -> "blocking JDK SocketChannel (StandardProtocolFamily.UNIX), platform threads";
            case UDP -> "blocking DatagramSocket, one datagram per request and per echo, platform threads";
        } + "; throughput by pipelining on one connection";
    }
}
