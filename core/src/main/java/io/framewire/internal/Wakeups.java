package io.framewire.internal;

import java.util.ArrayList;

/**
 * What one connection's reader owes for what it did while decoding what one socket read brought:
 * inboxes to wake, offers to a broker's subscriptions to make. Paid at the end of the read, or every
 * {@link Inbox#BATCH} items. Used by that reader thread only.
 */
final class Wakeups {
    /** Something a reader deferred to the end of its read. */
    interface Owed {
        /** Does what was deferred; must not throw. */
        void pay();
    }

    private ArrayList<Owed> owed = new ArrayList<>();
    private ArrayList<Owed> paying = new ArrayList<>();
    private int added;

    /** Counts an item deferred to {@code o}; the first since the last flush registers it. */
    void added(Owed o, boolean first) {
        if (first) {
            owed.add(o);
        }
        if (++added >= Inbox.BATCH) {
            flush();
        }
    }

    /** Pays everything owed since the last flush: at the end of each socket read. */
    void flush() {
        added = 0;
        if (owed.isEmpty()) {
            return;
        }
        ArrayList<Owed> now = owed;
        owed = paying;
        paying = now;
        try {
            for (int i = 0; i < now.size(); i++) {
                now.get(i).pay();
            }
        } finally {
            now.clear();
        }
    }
}
