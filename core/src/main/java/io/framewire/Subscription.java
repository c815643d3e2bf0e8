package io.framewire;

import java.time.Duration;
import java.util.Optional;

/**
 * A subscription to topics matching a pattern ({@code orders.*}, {@code metrics.>}), made with
 * {@link Client#subscribe}. Like calls, its deliveries are either <em>pulled</em> ({@link #next})
 * or <em>pushed</em> to a {@link Listener}; either way they arrive in sequence order, gaps included.
 *
 * <pre>{@code
 * try (Subscription sub = client.subscribe("orders.>")) {
 *     while (running) {
 *         switch (sub.next()) {
 *             case Message m -> process(m);
 *             case Gap g -> log.warn("lost " + g);
 *         }
 *     }
 * }
 * }</pre>
 *
 * <p>If the connection is lost, the client reconnects and subscribes again by itself; the subscriber
 * sees a {@link Gap} with reason {@link Gap.Reason#RECONNECT} where the outage was. Thread-safe.
 */
public interface Subscription extends AutoCloseable {

    /** The pattern subscribed to. */
    String pattern();

    /** The options subscribed with. */
    SubscribeOptions options();

    /**
     * The next delivery of a pulled subscription, waiting for it.
     *
     * @throws StatusException if the subscription has ended (unsubscribed, refused by the server, client closed)
     * @throws IllegalStateException on a pushed subscription
     */
    Delivery next();

    /** As {@link #next()}, waiting at most {@code timeout}; empty if nothing arrived. */
    Optional<Delivery> next(Duration timeout);

    /** Stops the subscription; deliveries already on their way are dropped. Idempotent. */
    void unsubscribe();

    /** Same as {@link #unsubscribe()}. */
    @Override
    default void close() {
        unsubscribe();
    }

    /**
     * Hears a pushed subscription's deliveries, one at a time and in sequence order, on the client's
     * callback executor (never the connection's reader thread). A gap is not optional: there is no
     * default for {@link #onGap}.
     */
    interface Listener {
        void onMessage(Message message);

        void onGap(Gap gap);

        /** The subscription ended: unsubscribed (OK), refused by the server, or the client closed. */
        default void onEnd(Status status) {}

        /** A listener from two lambdas. */
        static Listener of(java.util.function.Consumer<Message> onMessage, java.util.function.Consumer<Gap> onGap) {
            return new Listener() {
                @Override
                public void onMessage(Message message) {
                    onMessage.accept(message);
                }

                @Override
                public void onGap(Gap gap) {
                    onGap.accept(gap);
                }
            };
        }
    }
}
