package io.framewire.testing;

import io.framewire.Address;
import io.framewire.internal.Transports;
import io.framewire.protocol.Frame;
import io.framewire.protocol.FrameDecoder;
import io.framewire.protocol.FrameEncoder;
import io.framewire.protocol.FrameLayout;
import io.framewire.protocol.FrameType;
import io.framewire.protocol.Handshake;
import io.framewire.protocol.Settings;
import io.framewire.spi.Connection;
import io.framewire.spi.TransportOptions;
import io.framewire.spi.TransportProvider;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A peer that speaks raw bytes over any stream transport, for tests of what a server does with broken
 * or hostile input. It reads the server's frames leniently: a HELLO is recognised by type, anything
 * else is parsed by the real decoder.
 */
public final class RawPeer implements AutoCloseable {
    private final Connection connection;
    private final ByteBuffer in = ByteBuffer.allocate(1 << 16).flip();
    private Frame.Hello serverHello;

    private RawPeer(Connection connection) {
        this.connection = connection;
    }

    /** A raw peer on a connection this test accepted: it plays the server. */
    public static RawPeer accepted(Connection connection) {
        return new RawPeer(connection);
    }

    public static RawPeer connect(Address address, TransportOptions optionsOrNull) throws IOException {
        TransportProvider t = Transports.forAddress(address);
        return new RawPeer(t.connect(address, optionsOrNull != null ? optionsOrNull : t.defaultOptions(), Duration.ofSeconds(5)));
    }

    /** Sends a valid client HELLO and reads the server's HELLO. */
    public RawPeer handshake() throws IOException {
        return handshake(Settings.defaults());
    }

    /** Sends a client HELLO with {@code settings} and reads the server's HELLO. */
    public RawPeer handshake(Settings settings) throws IOException {
        send(Handshake.clientHello(settings));
        Frame first = readFrame().orElseThrow(() -> new IOException("server closed during handshake"));
        if (!(first instanceof Frame.Hello hello)) {
            throw new IOException("expected the server's HELLO, got " + first);
        }
        serverHello = hello;
        return this;
    }

    /** The server's HELLO, once {@link #handshake} has read it. */
    public Frame.Hello serverHello() {
        return java.util.Objects.requireNonNull(serverHello, "no handshake yet");
    }

    public void send(Frame frame) throws IOException {
        write(FrameEncoder.encode(frame));
    }

    public void write(byte[] bytes) throws IOException {
        connection.write(ByteBuffer.wrap(bytes));
    }

    /** Ends this side's sending (a FIN, a half-close) while still reading what the server sends. */
    public void shutdownOutput() throws IOException {
        connection.shutdownOutput();
    }

    /** The next frame, or empty once the server has closed the connection. */
    public Optional<Frame> readFrame() throws IOException {
        byte[] header = readExactly(FrameLayout.HEADER_LENGTH);
        if (header == null) {
            return Optional.empty();
        }
        int length = ByteBuffer.wrap(header).getInt();
        byte[] rest = readExactly(length - FrameLayout.MIN_LENGTH);
        if (rest == null) {
            throw new IOException("server closed mid-frame");
        }
        ByteBuffer whole = ByteBuffer.allocate(header.length + rest.length).put(header).put(rest).flip();
        if ((header[FrameLayout.TYPE_OFFSET] & 0xFF) == FrameType.HELLO.code()) {
            FrameDecoder d = FrameDecoder.forConnection(FrameLayout.HELLO_MAX_LENGTH);
            List<Frame> out = new ArrayList<>();
            d.decode(whole, out::add);
            return Optional.of(out.get(0));
        }
        FrameDecoder d = FrameDecoder.afterHandshake(Integer.MAX_VALUE);
        List<Frame> out = new ArrayList<>();
        d.decode(whole, out::add);
        return Optional.of(out.get(0));
    }

    /** Every frame until the server closes the connection. */
    public List<Frame> readUntilClosed() throws IOException {
        List<Frame> frames = new ArrayList<>();
        try {
            for (Optional<Frame> f = readFrame(); f.isPresent(); f = readFrame()) {
                frames.add(f.get());
            }
        } catch (IOException e) {
            // A reset after the server's close counts as closed.
        }
        return frames;
    }

    /** The ERROR frame the server closed with, if it sent one. */
    public Optional<Frame.Error> closingError() throws IOException {
        Frame.Error error = null;
        for (Frame f : readUntilClosed()) {
            if (f instanceof Frame.Error e) {
                error = e;
            }
        }
        return Optional.ofNullable(error);
    }

    private byte[] readExactly(int n) throws IOException {
        byte[] out = new byte[n];
        int filled = 0;
        while (filled < n) {
            if (!in.hasRemaining()) {
                in.clear();
                int r = connection.read(in);
                in.flip();
                if (r < 0) {
                    return null;
                }
            }
            int k = Math.min(n - filled, in.remaining());
            in.get(out, filled, k);
            filled += k;
        }
        return out;
    }

    @Override
    public void close() {
        connection.close();
    }
}
