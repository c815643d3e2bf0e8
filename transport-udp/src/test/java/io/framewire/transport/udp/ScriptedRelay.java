package io.framewire.transport.udp;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A loopback relay between one client and one server that lets a test decide the fate of each
 * datagram: {@link Script#rewrite} returns what to forward (the datagram, a changed copy, or several
 * datagrams in any order), or nothing to lose it.
 */
final class ScriptedRelay implements AutoCloseable {
    /** Decides what becomes of one datagram; runs on the relay's thread. */
    interface Script {
        List<byte[]> rewrite(boolean fromServer, byte[] datagram);
    }

    private final DatagramSocket socket;
    private final InetSocketAddress server;
    private final Script script;
    private final Thread thread;
    private volatile InetSocketAddress client;
    private volatile boolean closed;

    ScriptedRelay(int serverPort, Script script) throws IOException {
        this.server = new InetSocketAddress(InetAddress.getLoopbackAddress(), serverPort);
        this.script = script;
        this.socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        socket.setSoTimeout(50);
        this.thread = Thread.ofPlatform().name("scripted-relay").daemon(true).start(this::run);
    }

    int port() {
        return socket.getLocalPort();
    }

    private void run() {
        byte[] buffer = new byte[65_536];
        while (!closed) {
            DatagramPacket p = new DatagramPacket(buffer, buffer.length);
            try {
                socket.receive(p);
            } catch (SocketTimeoutException e) {
                continue;
            } catch (IOException e) {
                return;
            }
            boolean fromServer = p.getSocketAddress().equals(server);
            if (!fromServer) {
                client = (InetSocketAddress) p.getSocketAddress();
            }
            InetSocketAddress to = fromServer ? client : server;
            if (to == null) {
                continue;
            }
            byte[] d = Arrays.copyOfRange(p.getData(), p.getOffset(), p.getOffset() + p.getLength());
            for (byte[] out : new ArrayList<>(script.rewrite(fromServer, d))) {
                try {
                    socket.send(new DatagramPacket(out, out.length, to));
                } catch (IOException e) {
                    // lost, like any datagram
                }
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        socket.close();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
