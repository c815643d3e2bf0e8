package io.framewire.internal;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;

/**
 * The broker's offers a publisher connection's reader deferred to the end of what one socket read
 * brought (or {@link Inbox#BATCH} publishes): each subscription then takes its share with one turn of
 * its subscriber connection's lock instead of one per message, as the subscriber side's inboxes do.
 * Each subscription gets its messages in publish order. Used by that reader thread only.
 */
final class DeferredOffers implements Wakeups.Owed {
    private final IdentityHashMap<BrokerSubscription, List<BrokerSubscription.Offered>> bySubscription =
            new IdentityHashMap<>();
    /** The subscriptions in the order they were first offered to, for a stable order of delivery. */
    private final List<BrokerSubscription> subscriptions = new ArrayList<>();

    /** Defers offering {@code m} to {@code s}; returns whether this is the first deferral since the last payment. */
    boolean add(BrokerSubscription s, BrokerSubscription.Offered m) {
        boolean first = subscriptions.isEmpty();
        List<BrokerSubscription.Offered> l = bySubscription.get(s);
        if (l == null) {
            l = new ArrayList<>();
            bySubscription.put(s, l);
            subscriptions.add(s);
        }
        l.add(m);
        return first;
    }

    /** Makes the deferred offers, subscription by subscription. */
    @Override
    public void pay() {
        if (subscriptions.isEmpty()) {
            return;
        }
        try {
            for (int i = 0; i < subscriptions.size(); i++) {
                BrokerSubscription s = subscriptions.get(i);
                try {
                    s.offerAll(bySubscription.get(s));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt(); // shutting down: the rest go nowhere either
                    return;
                } catch (RuntimeException | Error e) {
                    Session.LOG.log(Level.ERROR, "offering to " + s.pattern + " failed", e);
                }
            }
        } finally {
            subscriptions.clear();
            bySubscription.clear();
        }
    }
}
