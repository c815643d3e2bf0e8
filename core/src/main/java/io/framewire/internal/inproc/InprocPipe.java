package io.framewire.internal.inproc;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A bounded one-way byte pipe between two threads: the writer blocks while it is full, the reader
 * while it is empty, like a socket's buffers. Closing either end wakes both.
 */
final class InprocPipe {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private final Condition notFull = lock.newCondition();
    private final byte[] ring;
    private int head;
    private int size;
    private boolean writerClosed;
    private boolean readerClosed;

    InprocPipe(int capacity) {
        this.ring = new byte[capacity];
    }

    /** Reads at least one byte, or returns -1 once the writer closed and the pipe is empty. */
    int read(ByteBuffer dst) throws IOException {
        lock.lock();
        try {
            while (size == 0) {
                if (readerClosed) {
                    throw new IOException("connection closed");
                }
                if (writerClosed) {
                    return -1;
                }
                notEmpty.awaitUninterruptibly();
            }
            int n = Math.min(size, dst.remaining());
            int first = Math.min(n, ring.length - head);
            dst.put(ring, head, first);
            if (n > first) {
                dst.put(ring, 0, n - first);
            }
            head = (head + n) % ring.length;
            size -= n;
            notFull.signalAll();
            return n;
        } finally {
            lock.unlock();
        }
    }

    void write(ByteBuffer src) throws IOException {
        lock.lock();
        try {
            while (src.hasRemaining()) {
                while (size == ring.length && !writerClosed && !readerClosed) {
                    notFull.awaitUninterruptibly();
                }
                putLocked(src);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Writes what fits now, without waiting; returns how much that was. */
    int tryWrite(ByteBuffer src) throws IOException {
        lock.lock();
        try {
            return putLocked(src);
        } finally {
            lock.unlock();
        }
    }

    private int putLocked(ByteBuffer src) throws IOException {
        if (writerClosed || readerClosed) {
            throw new IOException("connection closed");
        }
        int tail = (head + size) % ring.length;
        int n = Math.min(src.remaining(), ring.length - size);
        int first = Math.min(n, ring.length - tail);
        src.get(ring, tail, first);
        if (n > first) {
            src.get(ring, 0, n - first);
        }
        if (n > 0) {
            size += n;
            notEmpty.signalAll();
        }
        return n;
    }

    /** The writing side is done: the reader sees end of stream after the buffered bytes. */
    void closeWriter() {
        lock.lock();
        try {
            writerClosed = true;
            notEmpty.signalAll();
            notFull.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The reading side is gone: reads and writes fail from now on. */
    void closeReader() {
        lock.lock();
        try {
            readerClosed = true;
            notEmpty.signalAll();
            notFull.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
