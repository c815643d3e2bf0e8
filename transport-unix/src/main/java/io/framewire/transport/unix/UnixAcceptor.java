package io.framewire.transport.unix;

import io.framewire.Address;
import io.framewire.spi.Acceptor;
import io.framewire.spi.Connection;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import org.newsclub.net.unix.AFUNIXServerSocketChannel;
import org.newsclub.net.unix.AFUNIXSocketChannel;

/**
 * A listening junixsocket channel, on a socket file ({@link SocketFile}) or an abstract name.
 *
 * <p>One thread accepts (a platform thread by default, see {@link UnixOptions.ReaderThreads});
 * {@link #close} may come from any thread, makes a blocked {@link #accept} throw, and then removes the
 * socket file if it is still this listener's.
 */
final class UnixAcceptor implements Acceptor {
    private static final System.Logger LOG = System.getLogger("io.framewire");

    private final AFUNIXServerSocketChannel channel;
    private final Address bound;
    private final SocketFile file;
    private final UnixOptions options;
    private final AtomicBoolean closed = new AtomicBoolean();

    /** @param file the socket file, or null for an abstract address */
    UnixAcceptor(AFUNIXServerSocketChannel channel, Address bound, SocketFile file, UnixOptions options) {
        this.channel = channel;
        this.bound = bound;
        this.file = file;
        this.options = options;
    }

    @Override
    public Address boundAddress() {
        return bound;
    }

    @Override
    public Connection accept() throws IOException {
        AFUNIXSocketChannel ch = channel.accept();
        if (ch == null) {
            throw new IOException("accept on " + bound + " returned no connection");
        }
        return UnixConnection.accepted(ch, bound, options);
    }

    @Override
    public ThreadFactory acceptThreads() {
        return UnixConnection.threads(options, "framewire-unix-accept");
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            // First the channel (junixsocket wakes a blocked accept by connecting to the bound name) ...
            channel.close();
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "closing the listener on " + bound + ": " + e);
        }
        if (file == null) {
            return;
        }
        try {
            // ... then the file, so no client finds a socket file nobody serves.
            file.remove();
        } catch (IOException e) {
            LOG.log(Level.WARNING, "could not remove the socket file " + file.path() + " of the closed listener: " + e.getMessage());
        }
    }

    @Override
    public String toString() {
        return "UnixAcceptor[" + bound + "]";
    }
}
