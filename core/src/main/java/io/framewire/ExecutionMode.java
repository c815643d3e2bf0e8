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
     * finish fast: while one runs, no other frame of the connection is read. The reader writes the
     * responses of what one read brought itself, in one write, as far as the transport takes them
     * without waiting (unix and inproc do; over tcp a writer thread does), and hands the rest to a
     * writer thread: a reader never waits for its peer to read.
     */
    INLINE
}
