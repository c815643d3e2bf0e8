package io.framewire;

/** Where a server runs a method's handler. */
public enum ExecutionMode {
    /**
     * On a new virtual thread per call (the default): the handler may block (on I/O, locks, other
     * calls) without holding up anything else.
     */
    VIRTUAL_THREAD,
    /**
     * On the connection's reader thread, saving a thread hop. Only for handlers that never block and
     * finish fast: while one runs, no other frame of the connection is read. The response is still
     * written by another thread, because a reader must never block on a socket write.
     */
    INLINE
}
