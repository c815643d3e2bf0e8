package io.framewire.benchmarks;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The raw UDP floor's client: one connected {@link DatagramSocket}, one datagram per request and
 * per echo, nothing else (no header, no retransmission). {@link #echo} sends again when an echo does
 * not come within a second (a lost datagram); {@link #sustain} pipelines, and counts a window's
 * missing echoes as lost, not completed, after 200 ms of silence. Payloads must fit one datagram.
 */
final class RawUdpEchoClient implements EchoClient {
    private static final int MAX_DATAGRAM = 65_507;
    private final DatagramSocket socket;
    private final byte[] readBuffer = new byte[MAX_DATAGRAM];

    RawUdpEchoClient(int port) throws IOException {
        socket = new DatagramSocket();
        try {
            socket.setReceiveBufferSize(4 << 20);
            socket.setSendBufferSize(4 << 20);
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    @Override
    public byte[] echo(byte[] payload) throws IOException {
        socket.setSoTimeout(1000);
        while (true) {
            socket.send(new DatagramPacket(payload, payload.length));
            DatagramPacket p = new DatagramPacket(readBuffer, readBuffer.length);
            try {
                socket.receive(p);
            } catch (SocketTimeoutException e) {
                continue; // lost: send it again
            }
            byte[] reply = new byte[p.getLength()];
            System.arraycopy(readBuffer, 0, reply, 0, reply.length);
            return reply;
        }
    }

    @Override
    public long sustain(byte[] payload, int outstanding, long deadlineNanos) throws Exception {
        socket.setSoTimeout(200);
        Semaphore window = new Semaphore(outstanding);
        AtomicLong sent = new AtomicLong();
        AtomicLong received = new AtomicLong();
        AtomicLong lost = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread reader = Thread.ofPlatform().name("raw-udp-reader").start(() -> {
            DatagramPacket p = new DatagramPacket(readBuffer, readBuffer.length);
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    p.setLength(readBuffer.length);
                    try {
                        socket.receive(p);
                    } catch (SocketTimeoutException e) {
                        long missing = sent.get() - received.get() - lost.get();
                        if (missing > 0) {
                            lost.addAndGet(missing);
                            window.release((int) missing);
                        }
                        continue;
                    }
                    Payload.check(payload, readBuffer, p.getLength());
                    received.incrementAndGet();
                    window.release();
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        DatagramPacket out = new DatagramPacket(payload, payload.length);
        try {
            while (System.nanoTime() - deadlineNanos < 0 && failure.get() == null) {
                if (!window.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                    continue;
                }
                sent.incrementAndGet();
                socket.send(out);
            }
            long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            while (received.get() + lost.get() < sent.get() && System.nanoTime() < waitUntil && failure.get() == null) {
                Thread.onSpinWait();
            }
        } finally {
            reader.interrupt();
            reader.join(1000);
        }
        if (failure.get() instanceof Exception e) {
            throw e;
        }
        return received.get();
    }

    @Override
    public void close() {
        socket.close();
    }
}
