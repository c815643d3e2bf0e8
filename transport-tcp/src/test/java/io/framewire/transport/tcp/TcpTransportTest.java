package io.framewire.transport.tcp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.framewire.Address;
import io.framewire.Client;
import io.framewire.Codec;
import io.framewire.MethodDescriptor;
import io.framewire.Server;
import io.framewire.Service;
import io.framewire.StatusException;
import io.framewire.internal.Transports;
import io.framewire.protocol.StatusCode;
import io.framewire.spi.Acceptor;
import io.framewire.spi.Connection;
import io.framewire.spi.TransportCapability;
import io.framewire.spi.TransportOptions;
import io.framewire.spi.TransportProvider;
import io.framewire.testing.LeakCheckExtension;
import io.framewire.transport.tcp.TcpOptions.ReaderThreads;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketOption;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link TcpTransportProvider} through the transport SPI, and through {@link Client} and {@link Server}
 * where a behaviour is visible there: binding, connect errors (refused, timed out, unknown host), socket
 * options, SO_REUSEADDR, backlog, argument checks, reader threads and prompt close.
 *
 * <p>Every socket is on loopback. Name lookups go to {@link LoopbackOnlyResolverProvider} (installed for
 * this module's tests), so nothing here sends a DNS query.
 */
@ExtendWith(LeakCheckExtension.class)
@Timeout(30)
class TcpTransportTest {

    private static final TcpTransportProvider TCP = new TcpTransportProvider();
    private static final TcpOptions DEFAULTS = TcpOptions.defaults();
    private static final Duration FIVE_SECONDS = Duration.ofSeconds(5);
    private static final String IPV4 = "127.0.0.1";
    private static final String IPV6 = "::1";

    static final MethodDescriptor<String, String> ECHO = MethodDescriptor.unary("test.Echo/Echo", Codec.utf8(), Codec.utf8());

    static Service echoService() {
        return Service.builder("test.Echo").unary(ECHO, (s, ctx) -> s).build();
    }

    // ------------------------------------------------------------------------------------------------
    // Discovery and defaults
    // ------------------------------------------------------------------------------------------------

    @Test
    void theTcpSchemeIsServedByThisProviderWithItsCapabilitiesAndDefaults() {
        TransportProvider p = Transports.forAddress(Address.parse("tcp://127.0.0.1:0"));
        assertInstanceOf(TcpTransportProvider.class, p);
        assertEquals("tcp", p.scheme());
        assertTrue(p.capabilities().contains(TransportCapability.RELIABLE_ORDERED), p.capabilities().toString());
        assertTrue(p.capabilities().contains(TransportCapability.CROSS_HOST), p.capabilities().toString());
        assertFalse(p.capabilities().contains(TransportCapability.PEER_CREDENTIALS), p.capabilities().toString());
        assertSame(TcpOptions.defaults(), p.defaultOptions());
        assertEquals(new TcpOptions(true, true, true, 1024, 0, 0, ReaderThreads.AUTO), TcpOptions.defaults());
    }

    @ParameterizedTest
    @EnumSource(ReaderThreads.class)
    void readerThreadsFollowTheOptionAndWhichSideOpenedTheConnection(ReaderThreads kind) throws Exception {
        TcpOptions options = DEFAULTS.withReaderThreads(kind);
        try (Acceptor acceptor = TCP.listen(Address.parse("tcp://127.0.0.1:0"), options);
             Connection opened = TCP.connect(acceptor.boundAddress(), options, FIVE_SECONDS);
             Connection accepted = acceptor.accept()) {
            Thread openedReader = opened.readerThreads().newThread(() -> { });
            Thread acceptedReader = accepted.readerThreads().newThread(() -> { });
            Thread acceptLoop = acceptor.acceptThreads().newThread(() -> { });
            boolean openedPlatform = kind != ReaderThreads.VIRTUAL;   // AUTO: platform for the side that connects
            boolean acceptedPlatform = kind == ReaderThreads.PLATFORM; // AUTO: virtual for accepted connections
            assertEquals(!openedPlatform, openedReader.isVirtual(), kind + " reader of a connection this side opened");
            assertEquals(!acceptedPlatform, acceptedReader.isVirtual(), kind + " reader of an accepted connection");
            assertEquals(!acceptedPlatform, acceptLoop.isVirtual(), kind + " accept loop");
            for (Thread t : List.of(openedReader, acceptedReader)) {
                assertEquals("framewire-tcp-reader", t.getName());
                assertTrue(t.isVirtual() || t.isDaemon(), "platform readers are daemons");
            }
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Binding port 0
    // ------------------------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {IPV4, IPV6})
    void portZeroBindsAnEphemeralPortThatTheAcceptorReports(String host) throws Exception {
        assumeLoopbackAvailable(host);
        try (Acceptor acceptor = TCP.listen(Address.parse("tcp://" + bracket(host) + ":0"), DEFAULTS);
             Acceptor second = TCP.listen(Address.parse("tcp://" + bracket(host) + ":0"), DEFAULTS)) {
            Address bound = acceptor.boundAddress();
            assertEquals("tcp", bound.scheme());
            assertEquals(host, bound.host());
            assertNotEquals(0, bound.port());
            assertEquals("tcp://" + bracket(host) + ":" + bound.port(), bound.toString());
            assertNotEquals(bound.port(), second.boundAddress().port(), "two listeners on port 0 share a port");

            try (Socket raw = new Socket()) {
                raw.connect(new InetSocketAddress(InetAddress.getByName(host), bound.port()), 5000);
                try (Connection accepted = acceptor.accept()) {
                    // same endpoints (the IPv6 spelling is checked in ipv6AddressesAreReportedInCanonicalForm)
                    assertSameEndpoint(InetAddress.getByName(host), raw.getLocalPort(), accepted.remoteAddress());
                    assertSameEndpoint(InetAddress.getByName(host), bound.port(), accepted.localAddress());
                    // and the bytes really flow over the port it reported
                    raw.getOutputStream().write(new byte[] {42});
                    ByteBuffer one = ByteBuffer.allocate(1);
                    assertEquals(1, accepted.read(one));
                    assertEquals(42, one.get(0));
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {IPV4, IPV6})
    void serverOnPortZeroReportsTheRealPort(String host) throws Exception {
        assumeLoopbackAvailable(host);
        try (Server server = Server.builder().listen("tcp://" + bracket(host) + ":0").service(echoService()).build().start()) {
            Address address = server.address();
            assertEquals(host, address.host());
            assertNotEquals(0, address.port());
            assertEquals(List.of(address), server.addresses());
            try (Socket raw = new Socket()) {
                raw.connect(new InetSocketAddress(InetAddress.getByName(host), address.port()), 5000);
                assertTrue(raw.isConnected());
            }
            try (Client client = Client.connect(address.toString())) {
                assertEquals("over " + host, client.call(ECHO, "over " + host));
            }
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Connection refused
    // ------------------------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {IPV4, IPV6})
    void connectingWhereNobodyListensIsAConnectExceptionNamingTheAddress(String host) throws Exception {
        assumeLoopbackAvailable(host);
        int port = unusedPort(host);
        ConnectException e = assertThrows(ConnectException.class,
                () -> TCP.connect(Address.parse("tcp://" + bracket(host) + ":" + port), DEFAULTS, FIVE_SECONDS).close());
        assertTrue(e.getMessage().contains("refused"), e.getMessage());
        // names the address (the IPv6 spelling is checked in ipv6AddressesAreReportedInCanonicalForm)
        Matcher named = Pattern.compile("tcp://\\S+").matcher(e.getMessage());
        assertTrue(named.find(), e.getMessage());
        assertSameEndpoint(InetAddress.getByName(host), port, named.group());
    }

    @Test
    void ipv6AddressesAreReportedInCanonicalForm() throws Exception {
        // Address's canonical form of an IPv6 loopback endpoint is tcp://[::1]:port (as Acceptor.boundAddress()
        // reports it); a connection's addresses and error messages should spell the same endpoint the same way.
        assumeLoopbackAvailable(IPV6);
        try (Acceptor acceptor = TCP.listen(Address.parse("tcp://[::1]:0"), DEFAULTS);
             Pair pair = Pair.of(acceptor, DEFAULTS)) {
            String bound = acceptor.boundAddress().toString();
            assertEquals("tcp://[::1]:" + acceptor.boundAddress().port(), bound);
            assertEquals(bound, pair.client().remoteAddress());
            assertEquals(bound, pair.server().localAddress());
            assertEquals(Address.parse(pair.client().localAddress()), Address.parse(pair.server().remoteAddress()));
            assertEquals("::1", Address.parse(pair.server().remoteAddress()).host());
        }
        int port = unusedPort(IPV6);
        ConnectException e = assertThrows(ConnectException.class,
                () -> TCP.connect(Address.parse("tcp://[::1]:" + port), DEFAULTS, FIVE_SECONDS).close());
        assertTrue(e.getMessage().contains("tcp://[::1]:" + port), e.getMessage());
    }

    @Test
    void clientConnectingWhereNobodyListensIsUnavailableSayingRefused() throws Exception {
        int port = unusedPort(IPV4);
        StatusException e = assertThrows(StatusException.class, () -> Client.connect("tcp://127.0.0.1:" + port).close());
        assertEquals(StatusCode.UNAVAILABLE, e.status().code());
        assertTrue(e.status().description().contains("refused"), e.status().description());
        assertTrue(e.status().description().contains("127.0.0.1:" + port), e.status().description());
        assertInstanceOf(ConnectException.class, e.getCause());
    }

    // ------------------------------------------------------------------------------------------------
    // Connect timeout
    // ------------------------------------------------------------------------------------------------

    @Test
    void connectingToAListenerWhoseAcceptQueueIsFullTimesOutInTime() throws Exception {
        try (FullAcceptQueue full = new FullAcceptQueue()) {
            Address address = Address.parse("tcp://127.0.0.1:" + full.port());
            long start = System.nanoTime();
            SocketTimeoutException e = assertThrows(SocketTimeoutException.class,
                    () -> TCP.connect(address, DEFAULTS, Duration.ofMillis(300)).close());
            long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(elapsedMillis < 5000, "the connect took " + elapsedMillis + " ms");
            assertTrue(elapsedMillis >= 250, "gave up after " + elapsedMillis + " ms, before the 300 ms timeout");
            assertTrue(e.getMessage().contains("timed out"), e.getMessage());
            assertTrue(e.getMessage().contains("300 ms"), e.getMessage());
            assertTrue(e.getMessage().contains("127.0.0.1:" + full.port()), e.getMessage());
        }
    }

    @Test
    void clientConnectTimeoutIsUnavailableSayingTimedOut() throws Exception {
        try (FullAcceptQueue full = new FullAcceptQueue()) {
            long start = System.nanoTime();
            StatusException e = assertThrows(StatusException.class, () -> Client.builder("tcp://127.0.0.1:" + full.port())
                    .connectTimeout(Duration.ofMillis(300))
                    .connect()
                    .close());
            long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(elapsedMillis < 5000, "the connect took " + elapsedMillis + " ms");
            assertEquals(StatusCode.UNAVAILABLE, e.status().code());
            assertTrue(e.status().description().contains("timed out"), e.status().description());
            assertInstanceOf(SocketTimeoutException.class, e.getCause());
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Name resolution (answered by LoopbackOnlyResolverProvider: no DNS)
    // ------------------------------------------------------------------------------------------------

    @Test
    void theTestResolverAnswersLookupsSoNoDnsQueryIsSent() throws Exception {
        requireTestResolver();
        InetAddress[] localhost = InetAddress.getAllByName("localhost");
        assertEquals(List.of(InetAddress.getByName(IPV6), InetAddress.getByName(IPV4)),
                Arrays.stream(localhost).map(a -> {
                    try {
                        return InetAddress.getByAddress(a.getAddress());
                    } catch (UnknownHostException e) {
                        throw new AssertionError(e);
                    }
                }).toList(), "localhost resolves ::1 first (on purpose), then 127.0.0.1");
        assertThrows(UnknownHostException.class, () -> InetAddress.getAllByName("resolver-check.invalid"));
        assertTrue(LoopbackOnlyResolverProvider.refusedNames().contains("resolver-check.invalid"));
    }

    @Test
    void anUnknownHostIsAnUnknownHostExceptionNamingTheHost() throws Exception {
        requireTestResolver();
        Address address = Address.parse("tcp://nosuch.invalid:7000");
        UnknownHostException e = assertThrows(UnknownHostException.class,
                () -> TCP.connect(address, DEFAULTS, FIVE_SECONDS).close());
        assertTrue(e.getMessage().contains("nosuch.invalid"), e.getMessage());
        assertTrue(LoopbackOnlyResolverProvider.refusedNames().contains("nosuch.invalid"),
                "the lookup must have reached the test resolver: " + LoopbackOnlyResolverProvider.refusedNames());

        UnknownHostException bind = assertThrows(UnknownHostException.class,
                () -> TCP.listen(Address.parse("tcp://nosuch.invalid:0"), DEFAULTS).close());
        assertTrue(bind.getMessage().contains("nosuch.invalid"), bind.getMessage());
    }

    @Test
    void clientConnectingToAnUnknownHostIsUnavailableSayingUnknownHost() throws Exception {
        requireTestResolver();
        StatusException e = assertThrows(StatusException.class, () -> Client.connect("tcp://nosuch.invalid:7000").close());
        assertEquals(StatusCode.UNAVAILABLE, e.status().code());
        assertTrue(e.status().description().contains("unknown host"), e.status().description());
        assertTrue(e.status().description().contains("nosuch.invalid"), e.status().description());
        assertInstanceOf(UnknownHostException.class, e.getCause());
    }

    @Test
    void localhostConnectsToAListenerOn127001EvenThoughItResolvesIpv6First() throws Exception {
        requireTestResolver();
        assertEquals(InetAddress.getByName(IPV6), InetAddress.getByAddress(InetAddress.getAllByName("localhost")[0].getAddress()),
                "the test resolver gives ::1 first, so the provider must fall back to 127.0.0.1");
        try (Acceptor acceptor = TCP.listen(Address.parse("tcp://127.0.0.1:0"), DEFAULTS)) {
            int port = acceptor.boundAddress().port();
            try (Connection c = TCP.connect(Address.parse("tcp://localhost:" + port), DEFAULTS, FIVE_SECONDS);
                 Connection accepted = acceptor.accept()) {
                assertEquals("tcp://127.0.0.1:" + port, c.remoteAddress());
                assertEquals(c.localAddress(), accepted.remoteAddress());
            }
        }
    }

    @Test
    void clientOnLocalhostReachesAServerOn127001() throws Exception {
        requireTestResolver();
        try (Server server = Server.builder().listen("tcp://127.0.0.1:0").service(echoService()).build().start();
             Client client = Client.connect("tcp://localhost:" + server.address().port())) {
            assertEquals("via localhost", client.call(ECHO, "via localhost"));
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Socket options
    // ------------------------------------------------------------------------------------------------

    @Test
    void noDelayAndKeepAliveAreOnByDefaultOnBothEnds() throws Exception {
        try (Acceptor acceptor = TCP.listen(Address.parse("tcp://127.0.0.1:0"), DEFAULTS);
             Pair pair = Pair.of(acceptor, DEFAULTS)) {
            for (Connection c : List.of(pair.client(), pair.server())) {
                assertEquals(true, option(c, StandardSocketOptions.TCP_NODELAY), "TCP_NODELAY on " + c.localAddress());
                assertEquals(true, option(c, StandardSocketOptions.SO_KEEPALIVE), "SO_KEEPALIVE on " + c.localAddress());
            }
        }
    }

    @Test
    void noDelayAndKeepAliveAreOffWhenTheOptionsSaySo() throws Exception {
        TcpOptions off = DEFAULTS.withNoDelay(false).withKeepAlive(false);
        try (Acceptor acceptor = TCP.listen(Address.parse("tcp://127.0.0.1:0"), off);
             Pair pair = Pair.of(acceptor, off)) {
            for (Connection c : List.of(pair.client(), pair.server())) {
                assertEquals(false, option(c, StandardSocketOptions.TCP_NODELAY), "TCP_NODELAY on " + c.localAddress());
                assertEquals(false, option(c, StandardSocketOptions.SO_KEEPALIVE), "SO_KEEPALIVE on " + c.localAddress());
            }
        }
    }

    @Test
    void eachEndTakesItsOwnOptions() throws Exception {
        // A listener's options apply to the sockets it accepts; a connector's to the socket it connects.
        try (Acceptor acceptor = TCP.listen(Address.parse("tcp://127.0.0.1:0"), DEFAULTS.withNoDelay(false));
             Pair pair = Pair.of(acceptor, DEFAULTS.withKeepAlive(false))) {
            assertEquals(true, option(pair.client(), StandardSocketOptions.TCP_NODELAY));
            assertEquals(false, option(pair.client(), StandardSocketOptions.SO_KEEPALIVE));
            assertEquals(false, option(pair.server(), StandardSocketOptions.TCP_NODELAY));
            assertEquals(true, option(pair.server(), StandardSocketOptions.SO_KEEPALIVE));
        }
    }

    @Test
    void bufferSizesAreAppliedToBothEnds() throws Exception {
        int size = 48 * 1024;
        TcpOptions sized = DEFAULTS.withSendBufferSize(size).withReceiveBufferSize(size);
        try (Acceptor acceptor = TCP.listen(Address.parse("tcp://127.0.0.1:0"), sized);
             Pair pair = Pair.of(acceptor, sized)) {
            for (Connection c : List.of(pair.client(), pair.server())) {
                for (SocketOption<Integer> o : List.of(StandardSocketOptions.SO_SNDBUF, StandardSocketOptions.SO_RCVBUF)) {
                    int actual = option(c, o);
                    // The kernel may round, and Linux doubles the value for its bookkeeping.
                    assertTrue(actual >= size && actual <= 2 * size, o + " on " + c.localAddress() + " is " + actual
                            + ", asked for " + size);
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------------
    // SO_REUSEADDR and bind errors
    // ------------------------------------------------------------------------------------------------

    @Test
    void withReuseAddressAListenerRebindsAPortThatHasConnectionsInTimeWait() throws Exception {
        TcpOptions reuse = DEFAULTS.withReuseAddress(true);
        int port;
        try (Acceptor first = TCP.listen(Address.parse("tcp://127.0.0.1:0"), reuse)) {
            port = first.boundAddress().port();
            leaveServerSideTimeWait(first);
        }
        try (Acceptor again = TCP.listen(Address.parse("tcp://127.0.0.1:" + port), reuse)) {
            assertEquals(port, again.boundAddress().port());
            try (Pair pair = Pair.of(again, DEFAULTS)) {
                assertEquals("tcp://127.0.0.1:" + port, pair.client().remoteAddress());
            }
        }
    }

    @Test
    void withoutReuseAddressRebindingAPortInTimeWaitIsABindException() throws Exception {
        TcpOptions noReuse = DEFAULTS.withReuseAddress(false);
        int port;
        try (Acceptor first = TCP.listen(Address.parse("tcp://127.0.0.1:0"), noReuse)) {
            port = first.boundAddress().port();
            leaveServerSideTimeWait(first);
        }
        Assumptions.assumeTrue(kernelRefusesTimeWaitPortsWithoutReuseAddress(),
                "this kernel lets a listener without SO_REUSEADDR bind a port with connections in TIME_WAIT "
                        + "(checked with plain JDK sockets), so the option's effect cannot be observed here");
        Address address = Address.parse("tcp://127.0.0.1:" + port);
        BindException e = assertThrows(BindException.class, () -> TCP.listen(address, noReuse).close(),
                "reuseAddress(false) must leave SO_REUSEADDR off, so the port in TIME_WAIT cannot be bound");
        assertTrue(e.getMessage().contains(address.toString()), e.getMessage());
    }

    /**
     * The same sequence with plain JDK channels and SO_REUSEADDR off: whether this kernel refuses to bind a
     * port that has connections in TIME_WAIT (Linux does).
     */
    private static boolean kernelRefusesTimeWaitPortsWithoutReuseAddress() throws Exception {
        int port;
        try (ServerSocketChannel raw = ServerSocketChannel.open()) {
            raw.setOption(StandardSocketOptions.SO_REUSEADDR, false);
            raw.bind(new InetSocketAddress(InetAddress.getByName(IPV4), 0));
            port = ((InetSocketAddress) raw.getLocalAddress()).getPort();
            leaveServerSideTimeWait(port, raw::accept);
        }
        try (ServerSocketChannel again = ServerSocketChannel.open()) {
            again.setOption(StandardSocketOptions.SO_REUSEADDR, false);
            again.bind(new InetSocketAddress(InetAddress.getByName(IPV4), port));
            return false;
        } catch (BindException refused) {
            return true;
        }
    }

    @Test
    void bindingAPortWhereAListenerIsLiveIsABindExceptionNamingTheAddress() throws Exception {
        for (boolean reuse : new boolean[] {true, false}) {
            TcpOptions o = DEFAULTS.withReuseAddress(reuse);
            try (Acceptor live = TCP.listen(Address.parse("tcp://127.0.0.1:0"), o)) {
                Address taken = live.boundAddress();
                BindException e = assertThrows(BindException.class, () -> TCP.listen(taken, o).close(), "reuse=" + reuse);
                assertTrue(e.getMessage().contains(taken.toString()), e.getMessage());
            }
        }
    }

    @Test
    void serverStartingOnATakenPortIsUnavailableNamingTheAddress() throws Exception {
        try (Acceptor live = TCP.listen(Address.parse("tcp://127.0.0.1:0"), DEFAULTS)) {
            String taken = live.boundAddress().toString();
            try (Server server = Server.builder().listen(taken).service(echoService()).build()) {
                StatusException e = assertThrows(StatusException.class, server::start);
                assertEquals(StatusCode.UNAVAILABLE, e.status().code());
                assertTrue(e.status().description().contains(taken), e.status().description());
                assertInstanceOf(BindException.class, e.getCause());
            }
        }
    }

    @Test
    void aClosedAcceptorReleasesItsPortAtOnce() throws Exception {
        int port;
        try (Acceptor first = TCP.listen(Address.parse("tcp://127.0.0.1:0"), DEFAULTS)) {
            port = first.boundAddress().port();
        }
        try (Acceptor again = TCP.listen(Address.parse("tcp://127.0.0.1:" + port), DEFAULTS)) {
            assertEquals(port, again.boundAddress().port());
        }
        // and nobody listens there any more
        assertThrows(ConnectException.class,
                () -> TCP.connect(Address.parse("tcp://127.0.0.1:" + port), DEFAULTS, FIVE_SECONDS).close());
    }

    // ------------------------------------------------------------------------------------------------
    // Backlog and option validation
    // ------------------------------------------------------------------------------------------------

    @Test
    void optionsRejectABacklogBelowOneAndNegativeBufferSizes() {
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class, () -> DEFAULTS.withBacklog(0));
        assertTrue(zero.getMessage().contains("backlog") && zero.getMessage().contains("0"), zero.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DEFAULTS.withBacklog(-1));
        assertThrows(IllegalArgumentException.class, () -> DEFAULTS.withBacklog(Integer.MIN_VALUE));
        assertEquals(1, DEFAULTS.withBacklog(1).backlog());
        assertThrows(IllegalArgumentException.class, () -> DEFAULTS.withSendBufferSize(-1));
        assertThrows(IllegalArgumentException.class, () -> DEFAULTS.withReceiveBufferSize(-1));
        assertThrows(NullPointerException.class, () -> DEFAULTS.withReaderThreads(null));
    }

    @Test
    void withMethodsCopyAndChangeOnlyTheirField() {
        TcpOptions o = DEFAULTS.withBacklog(7).withSendBufferSize(1000).withReceiveBufferSize(2000)
                .withNoDelay(false).withKeepAlive(false).withReuseAddress(false).withReaderThreads(ReaderThreads.PLATFORM);
        assertEquals(new TcpOptions(false, false, false, 7, 1000, 2000, ReaderThreads.PLATFORM), o);
        assertEquals(new TcpOptions(true, true, true, 1024, 0, 0, ReaderThreads.AUTO), DEFAULTS, "defaults unchanged");
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 1024})
    void aListenerIsCreatedWithTheBacklogAsked(int backlog) throws Exception {
        try (Acceptor acceptor = TCP.listen(Address.parse("tcp://127.0.0.1:0"), DEFAULTS.withBacklog(backlog))) {
            int port = acceptor.boundAddress().port();
            // Linux's `ss -ltn` shows a listener's backlog in its Send-Q column (capped at somaxconn).
            Path somaxconnFile = Path.of("/proc/sys/net/core/somaxconn");
            Assumptions.assumeTrue(Files.isReadable(somaxconnFile), "not Linux: the kernel backlog is not observable");
            int somaxconn = Integer.parseInt(Files.readAllLines(somaxconnFile).get(0).trim());
            List<String> lines = run("ss", "-Hltn", "sport = :" + port);
            // the local address is 127.0.0.1:port, or [::ffff:127.0.0.1]:port on a dual-stack socket
            List<String> mine = lines.stream().filter(l -> l.contains("127.0.0.1]:" + port + " ")
                    || l.contains(" 127.0.0.1:" + port + " ")).toList();
            assertEquals(1, mine.size(), "ss output: " + lines);
            String[] fields = mine.get(0).trim().split("\\s+");
            assertEquals("LISTEN", fields[0], mine.get(0));
            assertEquals(Math.min(backlog, somaxconn), Integer.parseInt(fields[2]), "Send-Q of " + mine.get(0));
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Argument checks
    // ------------------------------------------------------------------------------------------------

    @Test
    void optionsOfAnotherTransportAreRejected() {
        TransportOptions foreign = new TransportOptions() {
            @Override
            public String toString() {
                return "ForeignOptions";
            }
        };
        Address address = Address.parse("tcp://127.0.0.1:1");
        IllegalArgumentException connect = assertThrows(IllegalArgumentException.class,
                () -> TCP.connect(address, foreign, FIVE_SECONDS).close());
        assertTrue(connect.getMessage().contains("TcpOptions") && connect.getMessage().contains("ForeignOptions"),
                connect.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TCP.listen(Address.parse("tcp://127.0.0.1:0"), foreign).close());
        assertThrows(IllegalArgumentException.class, () -> TCP.connect(address, null, FIVE_SECONDS).close());
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp:///tmp/framewire-test.sock", "tcp:@abstract-name"})
    void addressesThatAreNotHostAndPortAreRejected(String text) {
        Address address = Address.parse(text);
        IllegalArgumentException connect = assertThrows(IllegalArgumentException.class,
                () -> TCP.connect(address, DEFAULTS, FIVE_SECONDS).close());
        assertTrue(connect.getMessage().contains("tcp://host:port") && connect.getMessage().contains(address.toString()),
                connect.getMessage());
        IllegalArgumentException listen = assertThrows(IllegalArgumentException.class, () -> TCP.listen(address, DEFAULTS).close());
        assertTrue(listen.getMessage().contains("tcp://host:port"), listen.getMessage());
    }

    // ------------------------------------------------------------------------------------------------
    // Data, reader threads, close
    // ------------------------------------------------------------------------------------------------

    @Test
    void bytesFlowBothWaysInOrderAndAPeerCloseIsEndOfStream() throws Exception {
        try (Acceptor acceptor = TCP.listen(Address.parse("tcp://127.0.0.1:0"), DEFAULTS);
             Pair pair = Pair.of(acceptor, DEFAULTS)) {
            byte[] big = new byte[4 * 1024 * 1024 + 3]; // larger than any socket buffer: write must loop
            new Random(11).nextBytes(big);
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    pair.client().write(ByteBuffer.wrap(big));
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            ByteBuffer received = ByteBuffer.allocate(big.length);
            while (received.hasRemaining()) {
                assertTrue(pair.server().read(received) > 0, "end of stream after " + received.position() + " bytes");
            }
            writer.get(10, TimeUnit.SECONDS);
            assertArrayEquals(big, received.array());

            pair.server().write(ByteBuffer.wrap("pong".getBytes(StandardCharsets.US_ASCII)));
            ByteBuffer pong = ByteBuffer.allocate(4);
            while (pong.hasRemaining()) {
                assertTrue(pair.client().read(pong) > 0);
            }
            assertEquals("pong", new String(pong.array(), StandardCharsets.US_ASCII));

            pair.client().close();
            assertEquals(-1, pair.server().read(ByteBuffer.allocate(8)), "a closed peer reads as end of stream");
        }
    }

    /**
     * An interrupt of a platform thread that writes costs neither the connection nor a byte, before the
     * write or while it waits for a peer that does not read, and the thread keeps its interrupt. (A JDK
     * socket channel would have closed itself, for every call on the connection.) On a virtual thread
     * an interrupt would close the socket, and the connection says so.
     */
    @Test
    void anInterruptOfAPlatformWriterCostsNeitherTheConnectionNorAByte() throws Exception {
        try (Acceptor acceptor = TCP.listen(Address.parse("tcp://127.0.0.1:0"), DEFAULTS);
             Pair pair = Pair.of(acceptor, DEFAULTS)) {
            Connection client = pair.client();
            assertTrue(client.writesSurviveInterrupts(), "on a platform thread");
            CompletableFuture<Boolean> onVirtual = new CompletableFuture<>();
            Thread.ofVirtual().start(() -> onVirtual.complete(client.writesSurviveInterrupts()));
            assertFalse(onVirtual.get(10, TimeUnit.SECONDS), "on a virtual thread");

            Thread.currentThread().interrupt();
            try {
                client.write(ByteBuffer.wrap(new byte[] {7}));
            } finally {
                assertTrue(Thread.interrupted(), "the interrupt is the caller's to keep");
            }
            assertArrayEquals(new byte[] {7}, readExactly(pair.server(), 1));

            byte[] big = new byte[8 << 20]; // far beyond both socket buffers: the write blocks
            new Random(9).nextBytes(big);
            Blocked<Boolean> writer = Blocked.start(() -> {
                client.write(ByteBuffer.wrap(big));
                return Thread.currentThread().isInterrupted();
            });
            await().atMost(Duration.ofSeconds(10)).until(() -> writer.isBlockedIn("write"));
            for (int i = 0; i < 50 && writer.thread().isAlive(); i++) {
                writer.thread().interrupt();
                Thread.yield();
            }
            assertArrayEquals(big, readExactly(pair.server(), big.length));
            assertTrue(writer.result().get(10, TimeUnit.SECONDS), "the writer still has its interrupt");
            pair.server().write(ByteBuffer.wrap(new byte[] {1, 2}));
            assertArrayEquals(new byte[] {1, 2}, readExactly(client, 2));
        }
    }

    private static byte[] readExactly(Connection c, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            assertTrue(c.read(b) > 0, "end of stream after " + b.position() + " bytes");
        }
        return b.array();
    }

    @Test
    void aCallWorksWithPlatformReaderThreadsOnBothSidesAndClosingStopsThem() throws Exception {
        TcpOptions platform = DEFAULTS.withReaderThreads(ReaderThreads.PLATFORM);
        long before = platformReaderThreads();
        try (Server server = Server.builder().listen("tcp://127.0.0.1:0", platform).service(echoService()).build().start();
             Client client = Client.builder(server.address().toString()).transportOptions(platform).connect()) {
            assertEquals("platform", client.call(ECHO, "platform"));
            assertEquals("again", client.call(ECHO, "again"));
            // the server's accept loop and its connection's reader, and the client's reader
            await().atMost(Duration.ofSeconds(10)).until(() -> platformReaderThreads() >= before + 3);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> platformReaderThreads() <= before);
    }

    @Test
    void closingAnAcceptorMakesABlockedAcceptThrowPromptly() throws Exception {
        Acceptor acceptor = TCP.listen(Address.parse("tcp://127.0.0.1:0"), DEFAULTS);
        try {
            Blocked<Connection> accept = Blocked.start(acceptor::accept);
            await().atMost(FIVE_SECONDS).until(() -> accept.isBlockedIn("accept"));
            acceptor.close();
            ExecutionException e = assertThrows(ExecutionException.class, () -> accept.result().get(5, TimeUnit.SECONDS));
            assertInstanceOf(IOException.class, e.getCause());
            acceptor.close(); // idempotent
            assertThrows(IOException.class, acceptor::accept);
        } finally {
            acceptor.close();
        }
    }

    @Test
    void closingAConnectionMakesABlockedReadEndPromptly() throws Exception {
        try (Acceptor acceptor = TCP.listen(Address.parse("tcp://127.0.0.1:0"), DEFAULTS);
             Pair pair = Pair.of(acceptor, DEFAULTS)) {
            Connection c = pair.client();
            Blocked<Integer> read = Blocked.start(() -> c.read(ByteBuffer.allocate(16)));
            await().atMost(FIVE_SECONDS).until(() -> read.isBlockedIn("read"));
            c.close();
            try {
                assertEquals(-1, read.result().get(5, TimeUnit.SECONDS), "a read that returns must report end of stream");
            } catch (ExecutionException e) {
                assertInstanceOf(IOException.class, e.getCause());
            }
            c.close(); // idempotent, never throws
            // the peer sees the close as end of stream
            assertEquals(-1, pair.server().read(ByteBuffer.allocate(8)));
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Helpers
    // ------------------------------------------------------------------------------------------------

    /**
     * The provider's connections are a private class that exposes no socket options, and the brief is not
     * to add API to main code for a test; so this test (only) reads the private {@code socket} field of
     * {@code TcpConnection} by reflection to ask its {@link java.net.Socket} what the provider set.
     */
    private static <T> T option(Connection c, SocketOption<T> option) throws Exception {
        Field f = c.getClass().getDeclaredField("socket");
        f.setAccessible(true);
        return ((java.net.Socket) f.get(c)).getOption(option);
    }

    /** A connected pair: one end from {@link TcpTransportProvider#connect}, the other from {@link Acceptor#accept}. */
    record Pair(Connection client, Connection server) implements AutoCloseable {
        static Pair of(Acceptor acceptor, TcpOptions clientOptions) throws IOException {
            Connection client = TCP.connect(acceptor.boundAddress(), clientOptions, FIVE_SECONDS);
            try {
                return new Pair(client, acceptor.accept());
            } catch (IOException | RuntimeException e) {
                client.close();
                throw e;
            }
        }

        @Override
        public void close() {
            client.close();
            server.close();
        }
    }

    /** A call running on its own platform thread, so a test can close something under it. */
    record Blocked<T>(Thread thread, CompletableFuture<T> result) {
        static <T> Blocked<T> start(Callable<T> call) {
            CompletableFuture<T> result = new CompletableFuture<>();
            Thread t = Thread.ofPlatform().daemon(true).name("blocked-call").start(() -> {
                try {
                    result.complete(call.call());
                } catch (Throwable e) {
                    result.completeExceptionally(e);
                }
            });
            return new Blocked<>(t, result);
        }

        /** Whether the thread is inside the provider's {@code method}, down in a native (blocking) call. */
        boolean isBlockedIn(String method) {
            StackTraceElement[] stack = thread.getStackTrace();
            return stack.length > 0 && stack[0].isNativeMethod() && Arrays.stream(stack).anyMatch(
                    f -> f.getClassName().startsWith(TcpTransportProvider.class.getName()) && f.getMethodName().equals(method));
        }
    }

    /**
     * A loopback listener with backlog 1 that never accepts, whose accept queue is full: Linux then drops
     * incoming SYNs, so a connect to it neither succeeds nor is refused, it times out.
     */
    static final class FullAcceptQueue implements AutoCloseable {
        private final ServerSocketChannel listener;
        private final List<SocketChannel> fillers = new ArrayList<>();

        FullAcceptQueue() throws IOException {
            listener = ServerSocketChannel.open();
            try {
                listener.bind(new InetSocketAddress(InetAddress.getByName(IPV4), 0), 1);
                fill();
            } catch (IOException | RuntimeException | Error e) {
                close();
                throw e;
            }
        }

        /** Opens connections until one does not complete: the queue is then full. */
        private void fill() throws IOException {
            try (Selector selector = Selector.open()) {
                for (int i = 0; i < 16; i++) {
                    SocketChannel ch = SocketChannel.open();
                    fillers.add(ch);
                    ch.configureBlocking(false);
                    if (ch.connect(listener.getLocalAddress())) {
                        continue;
                    }
                    SelectionKey key = ch.register(selector, SelectionKey.OP_CONNECT);
                    int ready = selector.select(750);
                    selector.selectedKeys().clear();
                    key.cancel();
                    selector.selectNow();
                    if (ready == 0) {
                        return; // this SYN was dropped: the accept queue is full
                    }
                    ch.finishConnect();
                }
            }
            String cookies = Files.isReadable(Path.of("/proc/sys/net/ipv4/tcp_syncookies"))
                    ? Files.readAllLines(Path.of("/proc/sys/net/ipv4/tcp_syncookies")).get(0).trim() : "?";
            throw new AssertionError("16 connections to a listener with backlog 1 that never accepts all completed; "
                    + "this kernel does not drop SYNs on a full accept queue (tcp_syncookies=" + cookies + ")");
        }

        int port() throws IOException {
            return ((InetSocketAddress) listener.getLocalAddress()).getPort();
        }

        @Override
        public void close() throws IOException {
            for (SocketChannel ch : fillers) {
                ch.close();
            }
            listener.close();
        }
    }

    /**
     * Accepts one connection on {@code acceptor} and closes it from the server side first, then from the
     * client, so that the server's end (local port = the listening port) ends in TIME_WAIT.
     */
    private static void leaveServerSideTimeWait(Acceptor acceptor) throws Exception {
        leaveServerSideTimeWait(acceptor.boundAddress().port(), acceptor::accept);
    }

    private static void leaveServerSideTimeWait(int port, Callable<? extends AutoCloseable> acceptOne) throws Exception {
        List<Path> procNetTcp = List.of(Path.of("/proc/net/tcp"), Path.of("/proc/net/tcp6"));
        Assumptions.assumeTrue(Files.isReadable(procNetTcp.get(0)), "not Linux: TIME_WAIT is not observable");
        try (Socket client = new Socket()) {
            client.connect(new InetSocketAddress(InetAddress.getByName(IPV4), port), 5000);
            client.setSoTimeout(5000);
            try (AutoCloseable server = acceptOne.call()) {
                assertTrue(server != null);
            } // the server closes first...
            try (InputStream in = client.getInputStream()) {
                assertEquals(-1, in.read(), "the client sees the server's FIN");
            }
        } // ...then the client, and the server's end goes FIN_WAIT_2 -> TIME_WAIT
        await().atMost(FIVE_SECONDS).until(() -> timeWaitOnLocalPort(procNetTcp, port));
    }

    /**
     * Whether /proc/net/tcp or /proc/net/tcp6 (the JDK's sockets are dual-stack IPv6 sockets) lists a
     * TIME_WAIT (state 06) socket whose local port is {@code port}.
     */
    private static boolean timeWaitOnLocalPort(List<Path> procNetTcp, int port) throws IOException {
        for (Path file : procNetTcp) {
            if (!Files.isReadable(file)) {
                continue;
            }
            List<String> lines = Files.readAllLines(file);
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.trim().split("\\s+");
                String local = f[1];
                int localPort = Integer.parseInt(local.substring(local.lastIndexOf(':') + 1), 16);
                if (localPort == port && f[3].equals("06")) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Asserts that {@code uri} (a tcp://host:port the provider reported) is {@code ip}:{@code port}. */
    private static void assertSameEndpoint(InetAddress ip, int port, String uri) throws UnknownHostException {
        Address a = Address.parse(uri);
        assertEquals("tcp", a.scheme(), uri);
        assertEquals(port, a.port(), uri);
        assertEquals(ip, InetAddress.getByName(a.host()), uri);
    }

    private static long platformReaderThreads() {
        // getAllStackTraces lists live platform threads only
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> (t.getName().equals("framewire-tcp-reader") || t.getName().equals("framewire-tcp-accept")) && t.isAlive())
                .count();
    }

    /** A port that was free a moment ago: bound on {@code host}, then released. */
    private static int unusedPort(String host) throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(host))) {
            return s.getLocalPort();
        }
    }

    private static String bracket(String host) {
        return host.contains(":") ? "[" + host + "]" : host;
    }

    private static void assumeLoopbackAvailable(String host) throws IOException {
        try (ServerSocketChannel probe = ServerSocketChannel.open()) {
            probe.bind(new InetSocketAddress(InetAddress.getByName(host), 0));
        } catch (IOException | UnsupportedOperationException e) {
            Assumptions.abort(host + " is not available on this machine: " + e);
        }
    }

    /** Checks, before any lookup of an unknown name, that the test resolver (not DNS) will answer it. */
    private static void requireTestResolver() throws UnknownHostException {
        InetAddress.getAllByName("localhost"); // loads the resolver if nothing has yet
        if (!LoopbackOnlyResolverProvider.installed()) {
            fail("LoopbackOnlyResolverProvider is not installed; refusing to look up unknown names, "
                    + "which would send DNS queries");
        }
    }

    private static List<String> run(String... command) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            Assumptions.abort(command[0] + " is not available: " + e.getMessage());
            return List.of();
        }
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(10, TimeUnit.SECONDS), command[0] + " did not finish");
            Assumptions.assumeTrue(p.exitValue() == 0, String.join(" ", command) + " failed: " + out);
            return out.lines().toList();
        } finally {
            p.destroy();
        }
    }
}
