package io.framewire.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * Writes one thread holds back on the connections of one client (its {@link SessionConfig} is the
 * scope): while the hold is open, frames the thread queues there stay queued instead of being written
 * by the thread, and {@link #release} writes them, a connection's worth at a time. Another thread's
 * writer may take them earlier; a hold never keeps a thread waiting for room on a connection it holds
 * (see {@link Outbound#awaitRoomLocked}). Confined to its thread. Not API: {@code Client.holdWrites}.
 */
public final class HeldWrites {
    private static final ThreadLocal<HeldWrites> CURRENT = new ThreadLocal<>();

    private final Object scope;
    /** Whether this thread must never wait on a socket (an event loop): what it held is written without waiting. */
    private final boolean withoutWaiting;
    private final Thread thread = Thread.currentThread();
    /** Connections with frames this thread queued and did not write; touched only by {@link #thread}. */
    private final List<Outbound> deferred = new ArrayList<>(2);
    private boolean released;

    private HeldWrites(Object scope, boolean withoutWaiting) {
        this.scope = scope;
        this.withoutWaiting = withoutWaiting;
    }

    /**
     * Starts holding this thread's writes to connections of {@code scope}; null if it already holds some.
     * With {@code withoutWaiting}, what it held is written as far as the transport takes it at once and
     * the rest by a writer thread, so this thread never waits on a socket.
     */
    static HeldWrites begin(Object scope, boolean withoutWaiting) {
        if (CURRENT.get() != null) {
            return null;
        }
        HeldWrites h = new HeldWrites(scope, withoutWaiting);
        CURRENT.set(h);
        return h;
    }

    /**
     * Writes what the calling thread holds back, if anything, and goes on holding: for a thread about to
     * wait for an answer, which would otherwise never come.
     */
    static void writeHeldNow() {
        HeldWrites h = CURRENT.get();
        if (h == null || h.deferred.isEmpty()) {
            return;
        }
        CURRENT.remove();
        try {
            h.writeDeferred();
        } finally {
            CURRENT.set(h);
        }
    }

    /**
     * Suspends the calling thread's hold, if any, for work that must write at once (a handshake it then
     * waits for); {@link #resume} with what this returns.
     */
    static HeldWrites suspend() {
        HeldWrites h = CURRENT.get();
        if (h != null) {
            CURRENT.remove();
        }
        return h;
    }

    /** Resumes a hold {@link #suspend} returned (null: none). */
    static void resume(HeldWrites h) {
        if (h != null && !h.released) {
            CURRENT.set(h);
        }
    }

    /**
     * Whether the calling thread holds its writes to {@code out}: if so, records that it has something
     * to write there at release. Called with {@code out}'s lock held.
     */
    static boolean defer(Outbound out, Object outScope) {
        HeldWrites h = CURRENT.get();
        if (h == null || h.scope != outScope) {
            return false;
        }
        if (!h.deferred.contains(out)) {
            h.deferred.add(out);
        }
        return true;
    }

    /** Whether the calling thread holds its writes to connections of {@code outScope}. */
    static boolean holds(Object outScope) {
        HeldWrites h = CURRENT.get();
        return h != null && h.scope == outScope;
    }

    /**
     * Ends the hold and writes what it held back, on this thread (or hands it to a writer thread where
     * this thread may not write). Idempotent.
     *
     * @throws IllegalStateException on another thread than the one that began it
     */
    public void release() {
        if (Thread.currentThread() != thread) {
            throw new IllegalStateException("a write hold is released on the thread that began it (" + thread + ")");
        }
        if (released) {
            return;
        }
        released = true;
        CURRENT.remove();
        writeDeferred();
    }

    private void writeDeferred() {
        boolean mayWrite = !withoutWaiting && Session.threadMayWrite();
        for (Outbound out : deferred) {
            if (withoutWaiting) {
                out.flushWithoutWaiting();
            } else {
                out.flush(mayWrite);
            }
        }
        deferred.clear();
    }
}
