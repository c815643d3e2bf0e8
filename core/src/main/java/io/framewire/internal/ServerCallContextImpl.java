package io.framewire.internal;

import io.framewire.Deadline;
import io.framewire.Peer;
import io.framewire.ServerCallContext;
import io.framewire.Status;
import io.framewire.protocol.Metadata;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/** The one {@link ServerCallContext} implementation. */
final class ServerCallContextImpl implements ServerCallContext {
    private final String methodName;
    private final Metadata requestMetadata;
    private final Peer peer;
    private final Deadline deadline;
    private final Executor callbacks;
    private final ReentrantLock lock = new ReentrantLock();

    // Guarded by lock.
    private Status cancelled;
    private Status closedWith;
    private final List<Runnable> cancelListeners = new ArrayList<>(1);
    private final List<Consumer<Status>> closeListeners = new ArrayList<>(1);
    private Metadata responseHeaders = Metadata.EMPTY;
    private boolean headersSent;
    private Metadata trailers = Metadata.EMPTY;

    ServerCallContextImpl(String methodName, Metadata requestMetadata, Peer peer, Deadline deadline, Executor callbacks) {
        this.methodName = methodName;
        this.requestMetadata = requestMetadata;
        this.peer = peer;
        this.deadline = deadline;
        this.callbacks = callbacks;
    }

    @Override
    public String methodName() {
        return methodName;
    }

    @Override
    public Metadata requestMetadata() {
        return requestMetadata;
    }

    @Override
    public Peer peer() {
        return peer;
    }

    @Override
    public Optional<Deadline> deadline() {
        return Optional.ofNullable(deadline);
    }

    @Override
    public boolean isCancelled() {
        lock.lock();
        try {
            return cancelled != null;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Optional<Status> cancellationStatus() {
        lock.lock();
        try {
            return Optional.ofNullable(cancelled);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void onCancel(Runnable listener) {
        Objects.requireNonNull(listener, "listener");
        lock.lock();
        try {
            if (cancelled == null) {
                cancelListeners.add(listener);
                return;
            }
        } finally {
            lock.unlock();
        }
        callbacks.execute(listener);
    }

    @Override
    public void onClose(Consumer<Status> listener) {
        Objects.requireNonNull(listener, "listener");
        Status s;
        lock.lock();
        try {
            s = closedWith;
            if (s == null) {
                closeListeners.add(listener);
                return;
            }
        } finally {
            lock.unlock();
        }
        callbacks.execute(() -> listener.accept(s));
    }

    @Override
    public void setResponseHeaders(Metadata headers) {
        Objects.requireNonNull(headers, "headers");
        lock.lock();
        try {
            if (headersSent) {
                throw new IllegalStateException("response headers were already sent");
            }
            responseHeaders = headers;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void setTrailers(Metadata trailers) {
        Objects.requireNonNull(trailers, "trailers");
        lock.lock();
        try {
            this.trailers = trailers;
        } finally {
            lock.unlock();
        }
    }

    /** Takes the response headers for sending, once; empty if none were set or they were sent. */
    Metadata takeResponseHeaders() {
        lock.lock();
        try {
            if (headersSent) {
                return null;
            }
            headersSent = true;
            return responseHeaders;
        } finally {
            lock.unlock();
        }
    }

    Metadata trailers() {
        lock.lock();
        try {
            return trailers;
        } finally {
            lock.unlock();
        }
    }

    /** Marks the call cancelled and runs the cancel listeners (off the calling thread). */
    void cancel(Status status) {
        List<Runnable> toRun;
        lock.lock();
        try {
            if (cancelled != null || closedWith != null) {
                return;
            }
            cancelled = status;
            toRun = List.copyOf(cancelListeners);
            cancelListeners.clear();
        } finally {
            lock.unlock();
        }
        for (Runnable r : toRun) {
            callbacks.execute(r);
        }
    }

    /** Records the final status and runs the close listeners (off the calling thread). */
    void closed(Status status) {
        List<Consumer<Status>> toRun;
        lock.lock();
        try {
            if (closedWith != null) {
                return;
            }
            closedWith = status;
            toRun = List.copyOf(closeListeners);
            closeListeners.clear();
            cancelListeners.clear();
        } finally {
            lock.unlock();
        }
        if (!toRun.isEmpty()) {
            callbacks.execute(() -> toRun.forEach(l -> l.accept(status)));
        }
    }
}
