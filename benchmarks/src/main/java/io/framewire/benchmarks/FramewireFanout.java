package io.framewire.benchmarks;

import io.framewire.Client;
import io.framewire.Gap;
import io.framewire.Message;
import io.framewire.Status;
import io.framewire.SubscribeOptions;
import io.framewire.Subscription;
import io.framewire.protocol.Metadata;
import io.framewire.protocol.OverflowPolicy;
import io.framewire.transport.tcp.TcpOptions;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Framewire's side of the fan-out: a publisher {@link Client} and subscriber {@link Client}s, each in
 * a JVM of its own, through a broker in a server JVM ({@link FramewireBroker}).
 *
 * <p>Subscriptions use the BLOCK overflow policy, so nothing may be lost: when a subscriber's queue at
 * the broker is full, the broker holds the publisher up (up to the block timeout) instead of dropping.
 * Any {@link Gap} is a loss, and so is any hole in the payloads' sequence numbers.
 */
final class FramewireFanout {
    static final String TOPIC = "bench.fanout";

    static final SubscribeOptions OPTIONS = SubscribeOptions.DEFAULT
            .withOverflow(OverflowPolicy.BLOCK)
            .withBlockTimeout(Duration.ofSeconds(30))
            .withPrefetch(4096)
            .withMaxMessages(100_000);

    /** How long the last message's acknowledgement may take: the queues ahead of it must drain first. */
    private static final Duration LAST_ACK_TIMEOUT = Duration.ofSeconds(60);

    private FramewireFanout() {}

    static String describe() {
        return "overflow " + OPTIONS.overflow() + ", block timeout " + OPTIONS.blockTimeout().toSeconds() + " s, prefetch "
                + OPTIONS.prefetch() + ", queue " + OPTIONS.maxMessages() + " messages; Client.publish (fire-and-forget)";
    }

    /** A publisher connected to the broker at {@code broker}. */
    static FanoutSender sender(Endpoint broker, int size, TcpOptions.ReaderThreads reader) {
        Client client = connect(broker, reader);
        return new FanoutSender() {
            @Override
            public Endpoint endpoint() {
                return broker;
            }

            @Override
            public void send(long sequence) {
                client.publish(TOPIC, SequencedMessage.of(sequence, size));
            }

            /** Acknowledged once the broker has queued it for every subscription, so after everything before it. */
            @Override
            public void sendLast(long sequence) throws Exception {
                client.publishAcked(TOPIC, SequencedMessage.of(sequence, size), Metadata.EMPTY)
                        .get(LAST_ACK_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            }
        };
    }

    /** Subscribes to the broker at {@code broker}, pulled or pushed as {@code variant} says, counting into {@code tally}. */
    static void subscribe(FanoutVariant variant, Endpoint broker, int size, TcpOptions.ReaderThreads reader,
                          FanoutTally tally) {
        Client client = connect(broker, reader);
        switch (variant) {
            case FRAMEWIRE_PULL -> {
                Subscription subscription = client.subscribe(TOPIC, OPTIONS);
                Thread.ofPlatform().name("subscriber").start(() -> pull(subscription, size, tally));
            }
            case FRAMEWIRE_PUSH -> client.subscribe(TOPIC, OPTIONS, new Pushed(size, tally));
            case JEROMQ -> throw new IllegalArgumentException("not a Framewire variant: " + variant);
        }
    }

    private static Client connect(Endpoint broker, TcpOptions.ReaderThreads reader) {
        return Client.builder(FramewireEcho.address(broker))
                .transportOptions(FramewireEcho.tcpOptions(reader))
                .connect();
    }

    /** Takes deliveries until the subscription fails; the subscriber never ends it. */
    private static void pull(Subscription subscription, int size, FanoutTally tally) {
        try {
            while (true) {
                switch (subscription.next()) {
                    case Message m -> tally.message(SequencedMessage.sequence(m.data(), 0, m.data().length, size));
                    case Gap g -> tally.gap(g.lostCount());
                }
            }
        } catch (RuntimeException e) {
            HarnessLink.fail("the pulled subscription failed", e);
        }
    }

    /** Hears pushed deliveries, one at a time on the callback executor. */
    private record Pushed(int size, FanoutTally tally) implements Subscription.Listener {
        @Override
        public void onMessage(Message message) {
            try {
                tally.message(SequencedMessage.sequence(message.data(), 0, message.data().length, size));
            } catch (RuntimeException e) {
                HarnessLink.fail("a pushed message was wrong", e);
            }
        }

        @Override
        public void onGap(Gap gap) {
            tally.gap(gap.lostCount());
        }

        /** The subscriber never unsubscribes, so any end is a failure. */
        @Override
        public void onEnd(Status status) {
            HarnessLink.fail("the pushed subscription ended", new IllegalStateException(status.toString()));
        }
    }
}
