package io.framewire.transport.udp;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A loopback datagram relay between one client and one server that loses, duplicates and reorders
 * datagrams, with a seeded random source (this kernel has no netem). The client connects to
 * {@link #port()}; whatever comes from the server goes to the last client address seen.
 */
final class LossyRelay implements AutoCloseable {
    private final DatagramSocket socket;
    private final InetSocketAddress server;
    private final double drop;
    private final double duplicate;
    private final double reorder;
    private final Random random;
    private final Thread thread;
    private volatile InetSocketAddress client;
    private volatile boolean closed;
    /** Datagrams held back to be sent after a later one (reordering), per direction. */
    private final ArrayDeque<DatagramPacket> heldToServer = new ArrayDeque<>();
    private final ArrayDeque<DatagramPacket> heldToClient = new ArrayDeque<>();
    final AtomicLong relayed = new AtomicLong();
    final AtomicLong dropped = new AtomicLong();
    final AtomicLong duplicated = new AtomicLong();
    final AtomicLong reordered = new AtomicLong();

    LossyRelay(InetSocketAddress server, double drop, double duplicate, double reorder, long seed) throws IOException {
        this.server = server;
        this.drop = drop;
        this.duplicate = duplicate;
        this.reorder = reorder;
        this.random = new Random(seed);
        this.socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        socket.setReceiveBufferSize(8 << 20);
        socket.setSendBufferSize(8 << 20);
        socket.setSoTimeout(2);
        this.thread = Thread.ofPlatform().name("lossy-relay").daemon(true).start(this::run);
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
                flush(heldToServer);
                flush(heldToClient);
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
            DatagramPacket copy = new DatagramPacket(Arrays.copyOfRange(p.getData(), p.getOffset(), p.getOffset() + p.getLength()),
                    p.getLength(), to);
            ArrayDeque<DatagramPacket> held = fromServer ? heldToClient : heldToServer;
            double r = random.nextDouble();
            if (r < drop) {
                dropped.incrementAndGet();
                continue;
            }
            if (r < drop + reorder) {
                reordered.incrementAndGet();
                held.add(copy); // goes out after the next datagram in this direction
                continue;
            }
            send(copy);
            if (r < drop + reorder + duplicate) {
                duplicated.incrementAndGet();
                send(copy);
            }
            flush(held);
        }
    }

    private void flush(ArrayDeque<DatagramPacket> held) {
        for (DatagramPacket p; (p = held.poll()) != null; ) {
            send(p);
        }
    }

    private void send(DatagramPacket p) {
        try {
            socket.send(p);
            relayed.incrementAndGet();
        } catch (IOException e) {
            // lost, like any datagram
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
