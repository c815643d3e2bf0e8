package io.framewire.benchmarks;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * The raw floor's server: a platform thread per connection reads {@code length, payload} frames and
 * writes each one back. Over TCP a {@link ServerSocket}; over AF_UNIX the JDK's own
 * {@link ServerSocketChannel}, blocking. Argument: the endpoint ({@code tcp:0} or {@code unix:PATH}).
 */
public final class RawEchoServer {
    private static final int BUFFER = 64 * 1024;

    private RawEchoServer() {}

    public static void main(String[] args) throws IOException {
        switch (Endpoint.parse(args[0])) {
            case Endpoint.Tcp tcp -> {
                ServerSocket listener = new ServerSocket();
                listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), tcp.port()));
                Thread.ofPlatform().name("raw-accept").start(() -> acceptTcp(listener));
                ChildServer.announceAndServe(new Endpoint.Tcp(listener.getLocalPort()));
            }
            case Endpoint.Udp udp -> {
                DatagramChannel channel = DatagramChannel.open();
                channel.setOption(java.net.StandardSocketOptions.SO_RCVBUF, 4 << 20);
                channel.setOption(java.net.StandardSocketOptions.SO_SNDBUF, 4 << 20);
                channel.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), udp.port()));
                Thread.ofPlatform().name("raw-udp").start(() -> serveUdp(channel));
                ChildServer.announceAndServe(new Endpoint.Udp(((InetSocketAddress) channel.getLocalAddress()).getPort()));
            }
            case Endpoint.Unix unix -> {
                ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
                listener.bind(UnixDomainSocketAddress.of(unix.path()));
                Thread.ofPlatform().name("raw-accept").start(() -> acceptUnix(listener));
                ChildServer.announceAndServe(unix);
            }
        }
    }

    /** Each datagram straight back to its sender: the least a UDP request/response can cost. */
    private static void serveUdp(DatagramChannel channel) {
        ByteBuffer buffer = ByteBuffer.allocateDirect(BenchOptions.MAX_PAYLOAD);
        try {
            while (true) {
                buffer.clear();
                SocketAddress from = channel.receive(buffer);
                buffer.flip();
                channel.send(buffer, from);
            }
        } catch (IOException e) {
            System.err.println("raw udp server: failed: " + e);
        }
    }

    private static void acceptTcp(ServerSocket listener) {
        try {
            while (true) {
                Socket socket = listener.accept();
                socket.setTcpNoDelay(true);
                InputStream in = socket.getInputStream();
                OutputStream out = socket.getOutputStream();
                Thread.ofPlatform().name("raw-conn").start(() -> serve(socket, in, out));
            }
        } catch (IOException e) {
            System.err.println("raw server: accept failed: " + e);
        }
    }

    private static void acceptUnix(ServerSocketChannel listener) {
        try {
            while (true) {
                SocketChannel channel = listener.accept();
                InputStream in = Channels.newInputStream(channel);
                OutputStream out = Channels.newOutputStream(channel);
                Thread.ofPlatform().name("raw-conn").start(() -> serve(channel, in, out));
            }
        } catch (IOException e) {
            System.err.println("raw server: accept failed: " + e);
        }
    }

    private static void serve(Closeable connection, InputStream input, OutputStream output) {
        try (connection) {
            DataInputStream in = new DataInputStream(new BufferedInputStream(input, BUFFER));
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(output, BUFFER));
            byte[] buffer = new byte[BUFFER];
            while (true) {
                int length;
                try {
                    length = in.readInt();
                } catch (EOFException e) {
                    return; // the client closed the connection
                }
                if (length < 0 || length > BenchOptions.MAX_PAYLOAD) {
                    throw new IOException("bad frame length " + length);
                }
                if (length > buffer.length) {
                    buffer = new byte[length];
                }
                in.readFully(buffer, 0, length);
                out.writeInt(length);
                out.write(buffer, 0, length);
                // Flush once no further request is already here: a lone request is answered at once,
                // and a pipelined burst is answered with one write instead of one per frame, which is
                // what a competent hand-written server would do.
                if (in.available() == 0) {
                    out.flush();
                }
            }
        } catch (IOException e) {
            System.err.println("raw server: connection failed: " + e);
        }
    }
}
