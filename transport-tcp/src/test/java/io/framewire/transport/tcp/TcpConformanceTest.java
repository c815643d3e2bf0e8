package io.framewire.transport.tcp;

import io.framewire.testing.HostilePeerConformance;
import io.framewire.testing.LimitsConformance;
import io.framewire.testing.PubSubConformance;
import io.framewire.testing.StreamingConformance;
import io.framewire.testing.TransportUnderTest;
import io.framewire.testing.UnaryConformance;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Nested;

/** The conformance suite on {@code tcp://}, over IPv4 and IPv6 loopback. */
class TcpConformanceTest {

    static TransportUnderTest loopback(String host) {
        String bracketed = host.contains(":") ? "[" + host + "]" : host;
        return new TransportUnderTest() {
            @Override
            public String newListenAddress() {
                return "tcp://" + bracketed + ":0";
            }

            @Override
            public String unusedAddress() {
                // A port that was free a moment ago: bound, then released.
                try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(host))) {
                    return "tcp://" + bracketed + ":" + s.getLocalPort();
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
    class HostilePeers extends HostilePeerConformance {
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
    class Streaming extends StreamingConformance {
        @Override
        protected TransportUnderTest transport() {
            return IPV4;
        }
    }

    @Nested
    class PubSub extends PubSubConformance {
        @Override
        protected TransportUnderTest transport() {
            return IPV4;
        }
    }
}
