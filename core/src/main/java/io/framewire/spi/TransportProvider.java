package io.framewire.spi;

import io.framewire.Address;
import java.io.IOException;
import java.time.Duration;
import java.util.Set;

/**
 * A transport, found through {@link java.util.ServiceLoader} by its URI scheme: adding a transport's
 * jar to the classpath adds its scheme. Two providers for one scheme are an error, reported with both
 * class names; there is no precedence by classpath order.
 *
 * <p>A stream transport delivers an ordered, reliable byte channel ({@link Connection}); Framewire's
 * session engine does all framing, multiplexing and flow control above it, identically for every
 * transport. What differs between transports is declared in {@link #capabilities()}.
 *
 * <h2>Datagram transports</h2>
 * A transport that declares {@link TransportCapability#DATAGRAM} (and not
 * {@link TransportCapability#RELIABLE_ORDERED}) still gives the engine a {@link Connection} that reads
 * and writes whole frames as a byte stream; everything that makes an unreliable network look like one
 * (datagram framing, fragmentation and reassembly, retransmission of requests until their deadline,
 * the server's duplicate-request cache that runs a handler at most once, flow control toward the
 * engine, address validation, keepalive) lives inside that transport, in one layer. The engine
 * itself does exactly two things differently on such a transport:
 * <ul>
 *   <li>a client refuses a streaming call (any shape but {@code UNARY}) before anything is sent, with
 *       {@code UNIMPLEMENTED} and the message "streaming is not supported over udp: datagrams may be
 *       lost or reordered";</li>
 *   <li>a server answers a streaming CALL that arrives anyway with that same status, without running
 *       the handler.</li>
 * </ul>
 * The conformance suite skips its streaming tests for such a transport (they assume
 * {@code RELIABLE_ORDERED}).
 *
 * <h2>Threading</h2>
 * All methods may be called from any thread, concurrently. {@link #connect} and {@link Acceptor#accept}
 * block; the engine calls them on threads of its own. Each connection is read by one thread made by
 * its {@link Connection#readerThreads()}, and each acceptor's loop runs on one made by
 * {@link Acceptor#acceptThreads()}: that is how a transport chooses virtual or platform threads for its
 * blocking calls, per connection.
 *
 * <h2>Errors</h2>
 * Failures are {@link IOException}s whose message a user can act on without a stack trace: it names
 * the address and the reason ("connection refused: nothing listening on 127.0.0.1:7000", "unknown host
 * nosuch.example", "connect timed out after 2000 ms"). The engine shows the message to the user as the
 * description of an {@code UNAVAILABLE} status. Use the standard subclasses where they fit
 * ({@link java.net.ConnectException}, {@link java.net.UnknownHostException},
 * {@link java.net.SocketTimeoutException}) so callers can tell cases apart by type.
 *
 * <h2>Implementing</h2>
 * Register the class in {@code META-INF/services/io.framewire.spi.TransportProvider}, give it a public
 * no-argument constructor, and extend the conformance suite ({@code AbstractTransportTest} in
 * framewire-core's test-jar) with a short subclass.
 */
public interface TransportProvider {

    /** The URI scheme this transport serves, lower case, e.g. {@code "tcp"}. */
    String scheme();

    /** What this transport can and cannot do; the conformance suite skips tests of missing capabilities. */
    Set<TransportCapability> capabilities();

    /** The options used when the user gives none. */
    TransportOptions defaultOptions();

    /**
     * Opens a connection to a listening peer, blocking up to {@code timeout}.
     *
     * @param options options of this transport's own type, or {@link #defaultOptions()}
     * @throws IOException with a clear message if the connection cannot be made
     * @throws IllegalArgumentException if the address is not one this transport understands, or the
     *         options are of another transport's type
     */
    Connection connect(Address address, TransportOptions options, Duration timeout) throws IOException;

    /**
     * Starts listening on {@code address}. The returned acceptor reports the address actually bound
     * (the real port when the address asked for port 0).
     *
     * @throws IOException with a clear message if the address cannot be bound
     */
    Acceptor listen(Address address, TransportOptions options) throws IOException;
}
