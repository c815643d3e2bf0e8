package io.framewire.benchmarks;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * The floor: the least a length-prefixed request/response over TCP can cost on this JVM. Blocking
 * sockets on platform threads, a 4-byte big-endian length then the payload, TCP_NODELAY on both sides.
 */
final class RawSocketSystem implements EchoSystem {

    @Override
    public String name() {
        return "raw";
    }

    @Override
    public Class<?> serverMain() {
        return RawEchoServer.class;
    }

    @Override
    public EchoClient connect(int port) throws IOException {
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000);
            return new RawEchoClient(socket);
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    @Override
    public String describe() {
        return "blocking sockets, platform threads, TCP_NODELAY; throughput by pipelining on one connection";
    }
}
