package io.framewire.benchmarks;

import io.framewire.Client;
import io.framewire.Delivery;
import io.framewire.Gap;
import io.framewire.Message;
import io.framewire.Status;
import io.framewire.StatusException;
import io.framewire.SubscribeOptions;
import io.framewire.Subscription;
import io.framewire.protocol.Metadata;
import io.framewire.protocol.OverflowPolicy;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * The pub/sub part of the load test's mix ({@link MixLoad}), on the test's shared connections: per
 * topic one paced publisher and four subscribers (BLOCK pulled, BLOCK pushed, DROP_OLDEST pulled and
 * slow, DROP_OLDEST pushed), each on a connection of its own where there are enough; and a
 * request-reply responder that echoes every request.
 *
 * <p>Lifecycle: {@link #subscribe} before anything is published, so every subscriber sees every
 * message from the first; {@link #publish} on a thread per topic until told to stop, then one last
 * message acknowledged by the broker; {@link #finish}: every subscriber must receive the last message
 * (so every earlier one is accounted for), then everything is unsubscribed.
 */
final class PubSubLoad implements AutoCloseable {
    static final String RPC_TOPIC = "load.rpc";

    /** Generous: under BLOCK nothing may be lost, and a mixed load can hold a subscriber up for a while. */
    private static final Duration BLOCK_TIMEOUT = Duration.ofSeconds(30);
    private static final SubscribeOptions BLOCK = SubscribeOptions.DEFAULT
            .withOverflow(OverflowPolicy.BLOCK).withBlockTimeout(BLOCK_TIMEOUT).withMaxMessages(10_000);
    /** A short queue, so that the slow subscriber overflows it. */
    private static final SubscribeOptions DROP_OLDEST = SubscribeOptions.DEFAULT
            .withOverflow(OverflowPolicy.DROP_OLDEST).withMaxMessages(1_000).withPrefetch(256);
    /** The slow subscriber sleeps a millisecond after this many messages: at most about 4,000 a second. */
    private static final int SLOW_EVERY = 4;
    private static final Duration ACK_TIMEOUT = Duration.ofSeconds(60);
    /** How long {@link #finish} waits for every subscriber to receive its topic's last message. */
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(60);
    /** A publisher this far behind its schedule starts the schedule again rather than burst to catch up. */
    private static final long MAX_BEHIND_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final Duration PULL_POLL = Duration.ofMillis(200);

    /** Where a published message carries its send time ({@link System#nanoTime()}), after the sequence number. */
    private static final int SENT_OFFSET = Long.BYTES;
    private static final VarHandle SENT = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private final List<Client> clients;
    private final int size;
    private final int rate;
    private final MixLoad.Stats stats;
    private final List<Subscriber> subscribers = new ArrayList<>();
    private final List<Subscription> subscriptions = new ArrayList<>();
    private final List<Thread> pullers = new ArrayList<>();
    private final AtomicBoolean closing = new AtomicBoolean();
    private int nextClient;

    /** A subscription's check and the topic it subscribed to. */
    private record Subscriber(int topic, SubscriberCheck check) {}

    private PubSubLoad(List<Client> clients, int size, int rate, MixLoad.Stats stats) {
        this.clients = clients;
        this.size = size;
        this.rate = rate;
        this.stats = stats;
    }

    /** The topic of publisher {@code t}. */
    static String topic(int t) {
        return "load.t" + t;
    }

    /** A message of {@code size} bytes: {@link SequencedMessage} with the send time after the sequence number. */
    static byte[] message(long sequence, int size) {
        byte[] m = SequencedMessage.of(sequence, size);
        SENT.set(m, SENT_OFFSET, System.nanoTime());
        return m;
    }

    static long sentNanos(byte[] message) {
        return (long) SENT.get(message, SENT_OFFSET);
    }

    /**
     * Subscribes the responder and every topic's subscribers, which count into {@code stats}; returns
     * once the broker has every subscription. Publishers are on the first connections, one each;
     * the responder and the subscribers on the last ones, one each, as far as there are connections.
     */
    static PubSubLoad subscribe(List<Client> clients, LoadOptions options, MixLoad.Stats stats) {
        PubSubLoad load = new PubSubLoad(clients, options.payload(), options.publishRate(), stats);
        try {
            load.respond();
            for (int t = 0; t < options.topics(); t++) {
                load.pulled(t, load.check(t, "BLOCK pulled", OverflowPolicy.BLOCK), BLOCK, false);
                load.pushed(t, load.check(t, "BLOCK pushed", OverflowPolicy.BLOCK), BLOCK);
                load.pulled(t, load.check(t, "DROP_OLDEST pulled slow", OverflowPolicy.DROP_OLDEST), DROP_OLDEST, true);
                load.pushed(t, load.check(t, "DROP_OLDEST pushed", OverflowPolicy.DROP_OLDEST), DROP_OLDEST);
            }
        } catch (RuntimeException e) {
            load.close();
            throw e;
        }
        return load;
    }

    private SubscriberCheck check(int topic, String what, OverflowPolicy policy) {
        return new SubscriberCheck(topic(topic) + " " + what, policy, size,
                policy == OverflowPolicy.BLOCK ? stats.blockDeliveries() : stats.dropDeliveries());
    }

    /** The next connection for the responder or a subscriber, in turn, from the last one down. */
    private Client nextClient() {
        return clients.get(clients.size() - 1 - nextClient++ % clients.size());
    }

    /** The responder: publishes every request's data back to its reply-to topic. */
    private void respond() {
        Client client = nextClient();
        OperationStats requests = stats.requests();
        subscriptions.add(client.subscribe(RPC_TOPIC, BLOCK, new Subscription.Listener() {
            @Override
            public void onMessage(Message request) {
                try {
                    client.reply(request, request.data());
                } catch (RuntimeException e) {
                    requests.failed(e);
                }
            }

            @Override
            public void onGap(Gap gap) {
                requests.error("LOST_UNDER_BLOCK", "the responder lost requests: " + gap);
            }

            @Override
            public void onEnd(Status status) {
                if (!closing.get()) {
                    requests.error("SUBSCRIPTION_ENDED", "the responder's subscription: " + status);
                }
            }
        }));
    }

    private void pulled(int topic, SubscriberCheck check, SubscribeOptions options, boolean slow) {
        Subscription subscription = nextClient().subscribe(topic(topic), options);
        subscriptions.add(subscription);
        subscribers.add(new Subscriber(topic, check));
        pullers.add(Thread.ofVirtual().name("pull " + check.name()).start(() -> pull(subscription, check, slow)));
    }

    private void pull(Subscription subscription, SubscriberCheck check, boolean slow) {
        long taken = 0;
        try {
            while (!closing.get()) {
                Optional<Delivery> next = subscription.next(PULL_POLL);
                if (next.isEmpty()) {
                    continue;
                }
                switch (next.get()) {
                    case Message m -> check.message(m);
                    case Gap g -> check.gap(g);
                }
                if (slow && ++taken % SLOW_EVERY == 0) {
                    Thread.sleep(1);
                }
            }
        } catch (StatusException e) {
            if (!closing.get()) {
                check.endedEarly(e.status().toString());
            }
        } catch (InterruptedException e) {
            check.endedEarly("interrupted");
        }
    }

    private void pushed(int topic, SubscriberCheck check, SubscribeOptions options) {
        subscribers.add(new Subscriber(topic, check));
        subscriptions.add(nextClient().subscribe(topic(topic), options, new Subscription.Listener() {
            @Override
            public void onMessage(Message message) {
                check.message(message);
            }

            @Override
            public void onGap(Gap gap) {
                check.gap(gap);
            }

            @Override
            public void onEnd(Status status) {
                if (!closing.get()) {
                    check.endedEarly(status.toString());
                }
            }
        }));
    }

    /**
     * Publishes to topic {@code t}, {@code rate} messages a second, until {@code stop} says so; then
     * one last message, acknowledged once the broker has queued it for every subscription. Returns
     * its sequence number; the messages before it are numbered from 0.
     */
    long publish(int t, BooleanSupplier stop) {
        Client client = clients.get(t % clients.size());
        OperationStats publishes = stats.publishes();
        String topic = topic(t);
        long interval = TimeUnit.SECONDS.toNanos(1) / rate;
        long sequence = 0;
        long start = System.nanoTime();
        while (!stop.getAsBoolean()) {
            long ahead = start + sequence * interval - System.nanoTime();
            if (ahead > 0) {
                LockSupport.parkNanos(ahead);
            } else if (-ahead > MAX_BEHIND_NANOS) {
                start = System.nanoTime() - sequence * interval;
            }
            byte[] m = message(sequence, size);
            long began = System.nanoTime();
            try {
                client.publish(topic, m);
                publishes.ok(System.nanoTime() - began);
                sequence++;
            } catch (RuntimeException e) {
                publishes.failed(e);
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10)); // the same number again, shortly
            }
        }
        long began = System.nanoTime();
        try {
            client.publishAcked(topic, message(sequence, size), Metadata.EMPTY).get(ACK_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            publishes.ok(System.nanoTime() - began);
        } catch (ExecutionException e) {
            publishes.failed(e.getCause());
        } catch (InterruptedException | TimeoutException e) {
            publishes.failed(e);
        }
        return sequence;
    }

    /**
     * Waits until every subscriber has received its topic's last message ({@code last.get(t)} for
     * topic {@code t}), then returns what each received and lost. The caller then closes this.
     */
    List<SubscriberCheck.Summary> finish(List<Long> last) {
        long deadline = System.nanoTime() + DRAIN_TIMEOUT.toNanos();
        List<SubscriberCheck.Summary> summaries = new ArrayList<>();
        for (Subscriber subscriber : subscribers) {
            SubscriberCheck check = subscriber.check();
            long topicLast = last.get(subscriber.topic());
            if (!check.awaitSent(topicLast, deadline)) {
                check.notDrained("did not receive message " + topicLast + " within " + DRAIN_TIMEOUT.toSeconds() + " s");
            }
            summaries.add(check.summary(topicLast));
        }
        return summaries;
    }

    /** Unsubscribes everything and waits for the pulling threads. */
    @Override
    public void close() {
        closing.set(true);
        subscriptions.forEach(Subscription::unsubscribe);
        for (Thread puller : pullers) {
            try {
                puller.join(Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
