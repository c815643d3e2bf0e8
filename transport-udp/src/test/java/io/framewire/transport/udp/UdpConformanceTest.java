package io.framewire.transport.udp;

import io.framewire.testing.HostilePeerConformance;
import io.framewire.testing.LimitsConformance;
import io.framewire.testing.StreamingConformance;
import io.framewire.testing.TransportUnderTest;
import io.framewire.testing.UnaryConformance;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import org.junit.jupiter.api.Nested;

/**
 * The conformance suite on {@code udp://}, over IPv4 and IPv6 loopback. Streaming and the hostile
 * byte-stream peers are skipped through the transport's capabilities (it is {@code DATAGRAM}, not
 * {@code RELIABLE_ORDERED}); the datagram-level attacks have tests of their own in this module.
 */
class UdpConformanceTest {

    static TransportUnderTest loopback(String host) {
        String bracketed = host.contains(":") ? "[" + host + "]" : host;
        return new TransportUnderTest() {
            @Override
            public String newListenAddress() {
                return "udp://" + bracketed + ":0";
            }

            @Override
            public String unusedAddress() {
                // A port that was bound a moment ago: datagrams to it now draw "port unreachable".
                try (DatagramChannel c = DatagramChannel.open()) {
                    c.bind(new InetSocketAddress(host, 0));
                    return "udp://" + bracketed + ":" + ((InetSocketAddress) c.getLocalAddress()).getPort();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
    }

    static final TransportUnderTest IPV4 = loopback("127.0.0.1");
    static final TransportUnderTest IPV6 = loopback("::1");

    @Nested
    class Unary extends UnaryConformance {
        @Override
        protected TransportUnderTest transport() {
            return IPV4;
        }
    }

    @Nested
    class UnaryIpv6 extends UnaryConformance {
        @Override
        protected TransportUnderTest transport() {
            return IPV6;
        }
    }

    @Nested
    class Streaming extends StreamingConformance {
        @Override
        protected TransportUnderTest transport() {
            return IPV4;
        }
    }

    @Nested
    class Limits extends LimitsConformance {
        @Override
        protected TransportUnderTest transport() {
            return IPV4;
        }
    }

    @Nested
    class HostilePeers extends HostilePeerConformance {
        @Override
        protected TransportUnderTest transport() {
            return IPV4;
        }
    }
}
