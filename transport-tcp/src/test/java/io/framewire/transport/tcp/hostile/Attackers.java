package io.framewire.transport.tcp.hostile;

import io.framewire.Address;
import io.framewire.protocol.ErrorCode;
import io.framewire.protocol.Frame;
import io.framewire.protocol.Handshake;
import io.framewire.protocol.Settings;
import io.framewire.testing.RawPeer;
import io.framewire.transport.tcp.TcpOptions;
import io.framewire.protocol.FrameEncoder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The attacking side: {@link RawPeer}s on loopback to one server, every one of them closed by
 * {@link #close}, and reading many peers at once until the server closes them.
 */
final class Attackers implements AutoCloseable {
    private final Address address;
    private final List<RawPeer> open = Collections.synchronizedList(new ArrayList<>());
    private final ExecutorService readers = Executors.newVirtualThreadPerTaskExecutor();

    Attackers(int port) {
        this.address = Address.parse("tcp://127.0.0.1:" + port);
    }

    /** A connection that has sent nothing. */
    RawPeer connect() throws IOException {
        return connect(TcpOptions.defaults());
    }

    RawPeer connect(TcpOptions options) throws IOException {
        RawPeer p = RawPeer.connect(address, options);
        open.add(p);
        return p;
    }

    /** A connection whose handshake (default settings) is done. */
    RawPeer handshaken() throws IOException {
        return connect().handshake();
    }

    RawPeer handshaken(Settings settings) throws IOException {
        return connect().handshake(settings);
    }

    /** {@code n} connections, handshaken one after another. */
    List<RawPeer> handshaken(int n) throws IOException {
        List<RawPeer> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(handshaken());
        }
        return out;
    }

    /** Sends a client HELLO and reads the server's first frame: a HELLO, an ERROR, or nothing (closed). */
    static Optional<Frame> hello(RawPeer p) throws IOException {
        p.send(Handshake.clientHello(Settings.defaults()));
        try {
            return p.readFrame();
        } catch (IOException e) {
            return Optional.empty(); // reset
        }
    }

    /** What a frame is, briefly: its type, and its code for an ERROR. */
    static String name(Optional<Frame> f) {
        return f.map(x -> x instanceof Frame.Error e ? "ERROR " + e.code() : x.type().name()).orElse("closed");
    }

    /**
     * Sends PING {@code id} and reads until its PONG. Returns "PONG", "ERROR code" if the server closed
     * with an ERROR first, "closed", or "no PONG" if none came within {@code within}.
     */
    String fence(RawPeer p, long id, Duration within) throws InterruptedException {
        CompletableFuture<String> answer = CompletableFuture.supplyAsync(() -> {
            try {
                p.send(new Frame.Ping(id));
                for (Optional<Frame> f = p.readFrame(); f.isPresent(); f = p.readFrame()) {
                    if (f.get() instanceof Frame.Pong pong && pong.payload() == id) {
                        return "PONG";
                    }
                    if (f.get() instanceof Frame.Error) {
                        return name(f);
                    }
                }
                return "closed";
            } catch (IOException e) {
                return "closed";
            }
        }, readers);
        try {
            return answer.get(within.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return "no PONG within " + within.toMillis() + " ms";
        } catch (ExecutionException e) {
            return "failed: " + e.getCause();
        }
    }

    /** Frames gathered into large writes, the way a flooding peer sends them. */
    static final class Batch {
        private static final int FLUSH_AT = 256 * 1024;
        private final RawPeer peer;
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();

        Batch(RawPeer peer) {
            this.peer = peer;
        }

        Batch add(Frame f) throws IOException {
            return add(FrameEncoder.encode(f));
        }

        Batch add(byte[] raw) throws IOException {
            buf.writeBytes(raw);
            if (buf.size() >= FLUSH_AT) {
                flush();
            }
            return this;
        }

        void flush() throws IOException {
            if (buf.size() > 0) {
                peer.write(buf.toByteArray());
                buf.reset();
            }
        }
    }

    /** How a peer's connection ended: what it read, and whether the server closed it (or our deadline did). */
    record Ending(List<Frame> frames, boolean closedByServer, long atNanos) {
        Optional<ErrorCode> error() {
            for (int i = frames.size() - 1; i >= 0; i--) {
                if (frames.get(i) instanceof Frame.Error e) {
                    return Optional.of(e.code());
                }
            }
            return Optional.empty();
        }

        /** The ERROR's code, "closed without ERROR", or "still open". */
        String describe() {
            return !closedByServer ? "still open" : error().map(Enum::name).orElse("closed without ERROR");
        }

        long count(Class<? extends Frame> type) {
            return frames.stream().filter(type::isInstance).count();
        }
    }

    /**
     * Reads each peer until the server closes it, all at once; peers still open after {@code within}
     * are closed by us (and say so).
     */
    List<Ending> readUntilClosed(List<RawPeer> peers, Duration within) throws InterruptedException {
        AtomicBoolean late = new AtomicBoolean();
        List<CompletableFuture<Ending>> endings = new ArrayList<>();
        for (RawPeer p : peers) {
            endings.add(CompletableFuture.supplyAsync(() -> {
                List<Frame> frames = readQuietly(p);
                return new Ending(frames, !late.get(), System.nanoTime());
            }, readers));
        }
        try {
            CompletableFuture.allOf(endings.toArray(CompletableFuture[]::new)).get(within.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            late.set(true);
            peers.forEach(RawPeer::close);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
        List<Ending> out = new ArrayList<>();
        for (CompletableFuture<Ending> f : endings) {
            out.add(f.join());
        }
        return out;
    }

    Ending readUntilClosed(RawPeer peer, Duration within) throws InterruptedException {
        return readUntilClosed(List.of(peer), within).get(0);
    }

    private static List<Frame> readQuietly(RawPeer p) {
        try {
            return p.readUntilClosed();
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }

    /** Closes every peer opened so far. */
    void closeAll() {
        List<RawPeer> all;
        synchronized (open) {
            all = new ArrayList<>(open);
            open.clear();
        }
        all.forEach(RawPeer::close);
    }

    @Override
    public void close() {
        closeAll();
        readers.shutdownNow();
    }
}
