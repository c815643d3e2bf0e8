package io.framewire.benchmarks;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * The raw floor's server: a platform thread per connection reads {@code length, payload} frames and
 * writes each one back.
 */
public final class RawEchoServer {
    private static final int BUFFER = 64 * 1024;

    private RawEchoServer() {}

    public static void main(String[] args) throws IOException {
        ServerSocket listener = new ServerSocket();
        listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        Thread.ofPlatform().name("raw-accept").start(() -> acceptLoop(listener));
        ChildServer.announceAndServe(listener.getLocalPort());
    }

    private static void acceptLoop(ServerSocket listener) {
        try {
            while (true) {
                Socket socket = listener.accept();
                socket.setTcpNoDelay(true);
                Thread.ofPlatform().name("raw-conn").start(() -> serve(socket));
            }
        } catch (IOException e) {
            System.err.println("raw server: accept failed: " + e);
        }
    }

    private static void serve(Socket socket) {
        try (socket) {
            DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), BUFFER));
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), BUFFER));
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
