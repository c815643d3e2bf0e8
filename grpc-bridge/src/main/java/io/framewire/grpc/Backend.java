package io.framewire.grpc;

import io.framewire.Client;
import io.framewire.MethodDescriptor;
import io.framewire.Status;
import io.framewire.StatusException;
import io.framewire.protocol.StatusCode;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The gateway's one Framewire {@link Client} to its backend address. It is made when first needed and
 * kept: a {@code Client} whose connection dies reconnects by itself on its next call. Until one has
 * connected, concurrent callers share a single connect attempt (bounded by the connect timeout) rather
 * than queueing one attempt each, so an unreachable backend fails every waiting call at once with
 * {@code UNAVAILABLE} naming the address.
 */
final class Backend implements AutoCloseable {
    private final String address;
    private final Client.Builder builder;
    private final Duration pingTimeout;
    private final ByName<MethodDescriptor<byte[], byte[]>> methods = new ByName<>(PassThrough::framewireMethod);
    private final ReentrantLock lock = new ReentrantLock();
    private volatile Client client;
    private CompletableFuture<Client> connecting;
    private CompletableFuture<Duration> ping;
    private boolean closed;
    /** Calls started on the client and not yet ended. */
    private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();
    /** A call or PING found the backend unreachable, and nothing has got through since. */
    private volatile boolean suspect;

    Backend(String address, Client.Builder builder, Duration pingTimeout) {
        this.address = address;
        this.builder = builder;
        this.pingTimeout = pingTimeout;
    }

    String address() {
        return address;
    }

    /**
     * The pass-through Framewire method of a gRPC method name.
     *
     * @throws IllegalArgumentException if the name is not {@code package.Service/Method}
     */
    MethodDescriptor<byte[], byte[]> method(String fullName) {
        return methods.get(fullName);
    }

    /**
     * The client, if starting a call on it now cannot wait: it has connected, the backend last answered,
     * and fewer than {@code maxInFlight} calls are open on it (beyond the backend's stream limit,
     * starting one waits for a free stream). Empty otherwise: start the call where waiting costs nothing.
     */
    Optional<Client> readyClient(int maxInFlight) {
        Client c = client;
        return c == null || suspect || inFlight.get() >= maxInFlight ? Optional.empty() : Optional.of(c);
    }

    /** A call on the client started. */
    void callStarted() {
        inFlight.incrementAndGet();
    }

    /** A call on the client ended with {@code code}: UNAVAILABLE makes the backend suspect until one gets through. */
    void callEnded(StatusCode code) {
        inFlight.decrementAndGet();
        suspect = code == StatusCode.UNAVAILABLE;
    }

    /**
     * The connected client.
     *
     * @throws StatusException UNAVAILABLE naming the address if it cannot be reached
     */
    Client client() {
        return client(null);
    }

    /**
     * The connected client, waiting for a connect attempt no longer than {@code deadline} (null: the
     * attempt's own connect timeout bounds the wait). A call whose deadline passes while the shared
     * attempt goes on ends then, without holding its thread until the attempt ends.
     *
     * @throws StatusException UNAVAILABLE naming the address if it cannot be reached, DEADLINE_EXCEEDED
     *     when {@code deadline} passes first
     */
    Client client(io.framewire.Deadline deadline) {
        Client c = client;
        if (c != null) {
            return c;
        }
        CompletableFuture<Client> attempt;
        boolean mine = false;
        lock.lock();
        try {
            if (closed) {
                throw Status.of(StatusCode.UNAVAILABLE, "the gateway to " + address + " is closed").asException();
            }
            if (client != null) {
                return client;
            }
            if (connecting == null) {
                connecting = new CompletableFuture<>();
                mine = true;
            }
            attempt = connecting;
        } finally {
            lock.unlock();
        }
        if (mine) {
            if (deadline == null) {
                connect(attempt);
            } else {
                // On a thread of its own, so that this caller (and those sharing the attempt) can stop
                // waiting at their deadlines while the attempt runs to its connect timeout.
                Thread.ofVirtual().name("framewire-gateway-connect").start(() -> connect(attempt));
            }
        }
        try {
            return deadline == null ? attempt.get()
                    : attempt.get(Math.max(0, deadline.remainingNanos()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw Status.of(StatusCode.DEADLINE_EXCEEDED, "deadline exceeded while connecting to Framewire backend "
                    + address).asException(e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof StatusException se ? se
                    : Status.of(StatusCode.UNAVAILABLE, unreachable(String.valueOf(e.getCause()))).asException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Status.of(StatusCode.CANCELLED, "interrupted while connecting to " + address).asException(e);
        }
    }

    private void connect(CompletableFuture<Client> attempt) {
        Client c = null;
        Throwable failure = null;
        try {
            c = builder.connect();
        } catch (StatusException e) {
            failure = Status.of(StatusCode.UNAVAILABLE, unreachable(e.status().description())).asException(e);
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        boolean tooLate = false;
        lock.lock();
        try {
            connecting = null;
            if (c != null) {
                if (closed) {
                    tooLate = true;
                } else {
                    client = c;
                }
            }
        } finally {
            lock.unlock();
        }
        if (tooLate) {
            c.close();
            failure = Status.of(StatusCode.UNAVAILABLE, "the gateway to " + address + " is closed").asException();
        }
        if (failure != null) {
            attempt.completeExceptionally(failure);
        } else {
            attempt.complete(c);
        }
    }

    /** {@code why}, saying which backend it is about unless it already does. */
    private String unreachable(String why) {
        return why.contains(address) ? why : "Framewire backend " + address + " is unreachable: " + why;
    }

    /**
     * Whether the backend answers a PING within the ping timeout (connecting first if need be). At most
     * one PING is outstanding: one that never returns does not pile up threads behind it.
     */
    boolean answers() {
        CompletableFuture<Duration> p;
        try {
            Client c = client();
            lock.lock();
            try {
                p = ping;
                if (p == null || p.isDone()) {
                    CompletableFuture<Duration> fresh = new CompletableFuture<>();
                    ping = p = fresh;
                    Thread.ofVirtual().name("framewire-gateway-ping").start(() -> {
                        try {
                            fresh.complete(c.ping());
                        } catch (RuntimeException e) {
                            fresh.completeExceptionally(e);
                        }
                    });
                }
            } finally {
                lock.unlock();
            }
            p.get(pingTimeout.toNanos(), TimeUnit.NANOSECONDS);
            suspect = false;
            return true;
        } catch (StatusException | ExecutionException | TimeoutException e) {
            suspect = true;
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Closes the client; calls in flight end CANCELLED, later ones UNAVAILABLE. */
    @Override
    public void close() {
        Client c;
        lock.lock();
        try {
            closed = true;
            c = client;
            client = null;
        } finally {
            lock.unlock();
        }
        if (c != null) {
            c.close();
        }
    }
}
