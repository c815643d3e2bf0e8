package io.framewire.transport.unix;

import io.framewire.Address;
import io.framewire.Deadline;
import io.framewire.spi.Acceptor;
import io.framewire.spi.Connection;
import io.framewire.spi.TransportCapability;
import io.framewire.spi.TransportOptions;
import io.framewire.spi.TransportProvider;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import org.newsclub.net.unix.AFSocket;
import org.newsclub.net.unix.AFUNIXServerSocketChannel;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.AFSocketCapability;
import org.newsclub.net.unix.AFUNIXSocketChannel;
import org.newsclub.net.unix.AddressAlreadyInUseSocketException;
import org.newsclub.net.unix.ConnectionRefusedSocketException;

/**
 * {@code unix://} over AF_UNIX stream sockets (junixsocket), for IPC between processes on one host:
 * {@code unix:///absolute/path.sock} (a socket file) and, on Linux, {@code unix:@name} (the abstract
 * namespace: no file, gone with the last socket).
 *
 * <pre>{@code
 * Server server = Server.builder().listen("unix:///run/app/app.sock").service(svc).build().start();
 * Client client = Client.connect("unix:///run/app/app.sock");
 * }</pre>
 *
 * <h2>Who may connect, and who is calling</h2>
 * A socket file is created with mode 0600 (only the server's user may connect) unless
 * {@link UnixOptions#fileMode()} says otherwise, e.g. 0660 with {@link UnixOptions#group()} for a
 * service shared with a group; the mode is in place before the first client can connect. Each
 * connection carries the kernel's word on the peer process ({@code SO_PEERCRED}: pid, uid, gid), which
 * handlers see in {@code ServerCallContext.peer().credentials()} and
 * {@link io.framewire.PeerCredentialsPolicy} checks per call.
 *
 * <h2>The socket file</h2>
 * Binding never removes anything but a stale socket: a regular file, directory or other non-socket at
 * the path fails with {@link BindException}, and so does a socket with a live server ("address in
 * use"); a missing or unwritable directory fails with {@link NoSuchFileException} or
 * {@link AccessDeniedException}. Closing the listener removes the file if it is still its own. While a
 * server runs, a private directory {@code .NAME.fw} sits beside the socket {@code NAME}; see
 * {@code SocketFile} for why and for the order of steps.
 *
 * <h2>Client errors</h2>
 * {@link #connect} fails with a {@link ConnectException} that says which case it is:
 * "no Framewire server at PATH (no such file)", "(not a socket)", "(permission denied)" or "(nobody
 * listening)", and with a {@link SocketTimeoutException} if the server's backlog stays full for the
 * whole timeout.
 *
 * <h2>Threads</h2>
 * junixsocket serves a blocking call on a virtual thread through poll jobs of its own, and that goes
 * wrong (junixsocket issue 172). Measured here (2 CPUs, JDK 25, junixsocket 2.11.1;
 * {@code UnixTransportTest}): on its channels, which this transport uses, an idle virtual reader
 * busy-polls: 6 idle connections with virtual readers used 3250-3450 ms of CPU in 2 s, with platform
 * readers 40-90 ms; on its socket streams the poll jobs instead block a pool of one worker per CPU, and
 * with 2 idle virtual readers a third read never completed; a connect on a virtual thread to a stale
 * socket retries until its timeout, and one waiting for a full backlog ignores the timeout. So by
 * default ({@link UnixOptions.ReaderThreads#PLATFORM}) no junixsocket call blocks a virtual thread:
 * readers and the accept loop are platform threads; a connection's bytes go through plain read(2) and
 * write(2) on duplicates of its descriptor, never through junixsocket, so readers block in the kernel at
 * no CPU cost and writes from virtual threads go straight to the kernel, with a send timeout that bounds
 * how long one can hold its carrier (see {@code UnixConnection}); and a connect from a virtual thread
 * runs on a platform thread. The price is one platform thread per connection. All methods may be called
 * from any thread.
 *
 * <h2>Running</h2>
 * junixsocket loads a native library: on JDK 24 and later, start the JVM with
 * {@code --enable-native-access=ALL-UNNAMED}, or it warns.
 */
public final class UnixTransportProvider implements TransportProvider {
    /** The longest path (or abstract name) AF_UNIX takes: sun_path is 108 bytes with its leading or trailing NUL. */
    static final int MAX_ADDRESS_BYTES = 107;

    @Override
    public String scheme() {
        return "unix";
    }

    @Override
    public Set<TransportCapability> capabilities() {
        return EnumSet.of(TransportCapability.RELIABLE_ORDERED, TransportCapability.PEER_CREDENTIALS);
    }

    @Override
    public TransportOptions defaultOptions() {
        return UnixOptions.defaults();
    }

    @Override
    public Connection connect(Address address, TransportOptions options, Duration timeout) throws IOException {
        UnixOptions o = unixOptions(options);
        AFUNIXSocketAddress target = socketAddress(address);
        int millis = (int) Math.clamp(Deadline.saturatedNanos(timeout) / 1_000_000, 1, Integer.MAX_VALUE);
        AFUNIXSocketChannel ch;
        try {
            ch = openChannel(target, millis);
        } catch (SocketTimeoutException e) {
            throw new SocketTimeoutException("connect timed out after " + millis + " ms (the server at " + where(address)
                    + " accepts no connections: its backlog is full)");
        } catch (IOException e) {
            ConnectException failure = new ConnectException("no Framewire server at " + where(address) + " ("
                    + reason(address, e) + ")");
            failure.initCause(e);
            throw failure;
        }
        return UnixConnection.opened(ch, address, o);
    }

    @Override
    public Acceptor listen(Address address, TransportOptions options) throws IOException {
        UnixOptions o = unixOptions(options);
        AFUNIXSocketAddress target = socketAddress(address);
        AFUNIXServerSocketChannel ch = AFUNIXServerSocketChannel.open();
        try {
            // Framewire removes the socket file itself, and only while it is still this listener's.
            ch.setDeleteOnClose(false);
            SocketFile file = null;
            if (address.kind() == Address.Kind.PATH) {
                file = SocketFile.bind(ch, Path.of(address.path()), o);
            } else {
                try {
                    ch.bind(target, o.backlog());
                } catch (AddressAlreadyInUseSocketException e) {
                    throw new BindException("cannot bind " + address + ": address in use (another server listens on this "
                            + "abstract name)");
                } catch (SocketException e) {
                    throw new BindException("cannot bind " + address + ": " + e.getMessage());
                }
            }
            return new UnixAcceptor(ch, address, file, o);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /**
     * Connects a blocking channel, on a platform thread (see the class comment), waiting at most
     * {@code timeoutMillis} for room in a full backlog.
     */
    static AFUNIXSocketChannel openChannel(AFUNIXSocketAddress target, int timeoutMillis) throws IOException {
        return UnixConnection.onPlatformThread(() -> {
            AFUNIXSocketChannel ch = AFUNIXSocketChannel.open();
            try {
                // SO_TIMEOUT bounds a connect that waits for backlog room (junixsocket's connect timeout does not).
                ch.socket().setSoTimeout(timeoutMillis);
                ch.connect(target);
                ch.socket().setSoTimeout(0); // reads wait as long as it takes
                return ch;
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
        });
    }

    /** Why a connect to {@code address} failed, told by the exception's type and, for a file, by looking at it. */
    private static String reason(Address address, IOException e) {
        if (address.kind() == Address.Kind.NAME) {
            return e instanceof ConnectionRefusedSocketException ? "nobody listening" : e.getMessage();
        }
        Path path = Path.of(address.path());
        SocketFile.Kind kind;
        try {
            kind = SocketFile.Kind.of(path);
        } catch (AccessDeniedException denied) {
            return "permission denied"; // a directory on the way is not searchable
        } catch (IOException unknowable) {
            return "cannot look at it: " + unknowable.getMessage();
        }
        if (kind == SocketFile.Kind.ABSENT) {
            return "no such file";
        }
        if (kind != SocketFile.Kind.SOCKET) {
            return "not a socket";
        }
        if (e instanceof ConnectionRefusedSocketException) {
            return "nobody listening";
        }
        if (!Files.isWritable(path)) {
            return "permission denied";
        }
        return e.getMessage();
    }

    private static String where(Address address) {
        return address.kind() == Address.Kind.PATH ? address.path() : address.toString();
    }

    /**
     * The junixsocket address of a {@code unix:} address.
     *
     * @throws IllegalArgumentException if it is not a unix address
     * @throws SocketException if the path or name is too long, or the platform has no abstract namespace
     */
    private static AFUNIXSocketAddress socketAddress(Address address) throws SocketException {
        if (!address.scheme().equals("unix")) {
            throw new IllegalArgumentException("the unix transport serves unix: addresses, got " + address);
        }
        switch (address.kind()) {
            case PATH -> {
                Path path = Path.of(address.path());
                checkLength(path, path.toString());
                return AFUNIXSocketAddress.of(path);
            }
            case NAME -> {
                if (!AFSocket.supports(AFSocketCapability.CAPABILITY_ABSTRACT_NAMESPACE)) {
                    throw new SocketException(address + ": this platform has no abstract AF_UNIX namespace (Linux only); "
                            + "use a socket file, unix:///path.sock");
                }
                int bytes = address.name().getBytes(AFUNIXSocketAddress.addressCharset()).length;
                if (bytes > MAX_ADDRESS_BYTES) {
                    throw new SocketException(address + ": the name is " + bytes + " bytes; AF_UNIX allows at most "
                            + MAX_ADDRESS_BYTES);
                }
                return AFUNIXSocketAddress.inAbstractNamespace(address.name());
            }
            default -> throw new IllegalArgumentException("a unix address is unix:///absolute/path.sock or unix:@name, got "
                    + address);
        }
    }

    /** @throws SocketException naming {@code what} if {@code path} is too long for AF_UNIX */
    static void checkLength(Path path, String what) throws SocketException {
        int bytes = path.toString().getBytes(AFUNIXSocketAddress.addressCharset()).length;
        if (bytes > MAX_ADDRESS_BYTES) {
            throw new SocketException(what + " is " + bytes + " bytes long; AF_UNIX allows at most " + MAX_ADDRESS_BYTES
                    + " (choose a shorter path)");
        }
    }

    private static UnixOptions unixOptions(TransportOptions options) {
        if (options instanceof UnixOptions u) {
            return u;
        }
        throw new IllegalArgumentException("the unix transport takes UnixOptions, got " + options);
    }
}
