package io.framewire.internal;

import io.framewire.testing.HostilePeerConformance;
import io.framewire.testing.LimitsConformance;
import io.framewire.testing.PubSubConformance;
import io.framewire.testing.StreamingConformance;
import io.framewire.testing.TransportUnderTest;
import io.framewire.testing.UnaryConformance;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Nested;

/** The conformance suite on {@code inproc://}. */
class InprocConformanceTest {
    private static final AtomicInteger NAMES = new AtomicInteger();

    static final TransportUnderTest INPROC = new TransportUnderTest() {
        @Override
        public String newListenAddress() {
            return "inproc://conformance-" + NAMES.incrementAndGet();
        }

        @Override
        public String unusedAddress() {
            return "inproc://nobody-" + NAMES.incrementAndGet();
        }
    };

    @Nested
    class Unary extends UnaryConformance {
        @Override
        protected TransportUnderTest transport() {
            return INPROC;
        }
    }

    @Nested
    class HostilePeers extends HostilePeerConformance {
        @Override
        protected TransportUnderTest transport() {
            return INPROC;
        }
    }

    @Nested
    class Limits extends LimitsConformance {
        @Override
        protected TransportUnderTest transport() {
            return INPROC;
        }
    }

    @Nested
    class Streaming extends StreamingConformance {
        @Override
        protected TransportUnderTest transport() {
            return INPROC;
        }
    }

    @Nested
    class PubSub extends PubSubConformance {
        @Override
        protected TransportUnderTest transport() {
            return INPROC;
        }
    }
}
