package io.framewire.transport.unix;

import io.framewire.testing.HostilePeerConformance;
import io.framewire.testing.LimitsConformance;
import io.framewire.testing.PubSubConformance;
import io.framewire.testing.StreamingConformance;
import io.framewire.testing.TransportUnderTest;
import io.framewire.testing.UnaryConformance;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The conformance suite on {@code unix://}: every suite over socket files (a fresh path per server,
 * and no file left behind after each test), and every suite over abstract names.
 */
class UnixConformanceTest {

    @RegisterExtension
    static final SocketDirectory SOCKETS = new SocketDirectory();

    private static final AtomicInteger NAMES = new AtomicInteger();

    static final TransportUnderTest SOCKET_FILES = new TransportUnderTest() {
        @Override
        public String newListenAddress() {
            return SOCKETS.newAddress();
        }

        @Override
        public String unusedAddress() {
            return SOCKETS.newAddress(); // never bound: no such file
        }
    };

    static final TransportUnderTest ABSTRACT = new TransportUnderTest() {
        @Override
        public String newListenAddress() {
            return "unix:@framewire-test-" + ProcessHandle.current().pid() + "-" + NAMES.incrementAndGet();
        }

        @Override
        public String unusedAddress() {
            return "unix:@framewire-unused-" + ProcessHandle.current().pid() + "-" + NAMES.incrementAndGet();
        }
    };

    @AfterAll
    static void removeDirectory() {
        SOCKETS.delete();
    }

    @Nested
    class Unary extends UnaryConformance {
        @Override
        protected TransportUnderTest transport() {
            return SOCKET_FILES;
        }
    }

    @Nested
    class Streaming extends StreamingConformance {
        @Override
        protected TransportUnderTest transport() {
            return SOCKET_FILES;
        }
    }

    @Nested
    class PubSub extends PubSubConformance {
        @Override
        protected TransportUnderTest transport() {
            return SOCKET_FILES;
        }
    }

    @Nested
    class HostilePeers extends HostilePeerConformance {
        @Override
        protected TransportUnderTest transport() {
            return SOCKET_FILES;
        }
    }

    @Nested
    class Limits extends LimitsConformance {
        @Override
        protected TransportUnderTest transport() {
            return SOCKET_FILES;
        }
    }

    @Nested
    class UnaryAbstract extends UnaryConformance {
        @Override
        protected TransportUnderTest transport() {
            return ABSTRACT;
        }
    }

    @Nested
    class StreamingAbstract extends StreamingConformance {
        @Override
        protected TransportUnderTest transport() {
            return ABSTRACT;
        }
    }

    @Nested
    class PubSubAbstract extends PubSubConformance {
        @Override
        protected TransportUnderTest transport() {
            return ABSTRACT;
        }
    }

    @Nested
    class HostilePeersAbstract extends HostilePeerConformance {
        @Override
        protected TransportUnderTest transport() {
            return ABSTRACT;
        }
    }
}
