package io.framewire.grpc;

import io.framewire.Address;
import io.framewire.Client;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A gRPC {@link io.grpc.Channel} over a Framewire {@link Client}: generated stubs (blocking, async,
 * future) and anything else written against grpc-java's client API call Framewire services over any
 * Framewire transport (tcp, unix, inproc), no HTTP/2 involved.
 *
 * <pre>{@code
 * FramewireChannel channel = FramewireChannel.connect("unix:///run/greeter.sock");
 * GreeterGrpc.GreeterBlockingStub greeter = GreeterGrpc.newBlockingStub(channel)
 *         .withDeadlineAfter(2, TimeUnit.SECONDS);
 * HelloReply reply = greeter.sayHello(HelloRequest.newBuilder().setName("unix").build());
 *
 * Channel audited = ClientInterceptors.intercept(channel, new AuditInterceptor());  // interceptors work as usual
 * ...
 * channel.shutdown();
 * channel.awaitTermination(5, TimeUnit.SECONDS);
 * }</pre>
 *
 * <h2>Calls</h2>
 * A call goes out as a Framewire call of the method's full name and gRPC shape (an {@code UNKNOWN}
 * method type lets the server use the method's registered shape), its messages as the bytes of the
 * method's marshallers. Request metadata, response headers and trailers map one to one (ASCII and
 * {@code -bin} keys; gRPC's reserved headers are not sent). The deadline is the earlier of the
 * {@link CallOptions} deadline and {@code Context.current()}'s when the call was made; cancelling the
 * call, or that context, cancels it on the server. Flow control is end to end: {@code request(n)} is
 * what Framewire delivers and {@code isReady()} / {@code onReady} follow the server's window. Where
 * grpc-java buffers a message sent while not ready without bound, {@code sendMessage} here waits for
 * room instead. A server that cannot be reached, or a connection lost, ends calls {@code UNAVAILABLE};
 * compression settings are ignored (Framewire does not compress).
 *
 * <h2>Lifecycle</h2>
 * As {@link ManagedChannel} documents: after {@link #shutdown} new calls fail {@code UNAVAILABLE} and
 * calls in flight go on; {@link #shutdownNow} also cancels those ({@code UNAVAILABLE}); the channel is
 * terminated once shut down with no call left. A channel from {@link #connect} owns its client and
 * closes it on termination; one from {@link #over} never closes the client it was given.
 * {@code getState} reports the client's connection ({@link Client#connectionState}): {@code READY} while
 * connected (a client connects when it is made); {@code IDLE} once the server closes the connection or
 * sends GOAWAY, until the next call (or {@code getState(true)}) connects again; {@code CONNECTING};
 * {@code TRANSIENT_FAILURE} after a failed connect (there is no retry in the background: the next call,
 * or {@code getState(true)}, tries again); {@code SHUTDOWN} once the channel is shut down.
 * {@code notifyWhenStateChanged} runs its callback once the state leaves the one given.
 *
 * <h2>Threads</h2>
 * Thread-safe. A call's listener runs on the call's executor ({@link CallOptions#withExecutor}), or
 * else on the Framewire client's callback executor (a virtual thread), one event at a time.
 */
public final class FramewireChannel extends ManagedChannel {
    private final Client client;
    private final boolean ownsClient;
    private final Set<FramewireClientCall<?, ?>> calls = ConcurrentHashMap.newKeySet();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition terminatedCondition = lock.newCondition();

    // Guarded by lock.
    private boolean shutdown;
    private boolean terminated;
    /** notifyWhenStateChanged callbacks not yet run; the channel's shutdown runs them all. */
    private final Set<StateWatch> watches = new HashSet<>();

    private FramewireChannel(Client client, boolean ownsClient) {
        this.client = client;
        this.ownsClient = ownsClient;
    }

    /** A channel over {@code client}, which it shares and never closes. */
    public static FramewireChannel over(Client client) {
        return new FramewireChannel(Objects.requireNonNull(client, "client"), false);
    }

    /**
     * A channel with a client of its own, connected to {@code framewireAddress} (for example
     * {@code tcp://host:7000} or {@code unix:///run/app.sock}); the channel's termination closes it.
     *
     * @throws io.framewire.StatusException UNAVAILABLE, with the reason, if the server cannot be reached
     * @throws IllegalArgumentException if the address is invalid
     */
    public static FramewireChannel connect(String framewireAddress) {
        return new FramewireChannel(Client.connect(framewireAddress), true);
    }

    Client client() {
        return client;
    }

    @Override
    public <ReqT, RespT> ClientCall<ReqT, RespT> newCall(MethodDescriptor<ReqT, RespT> method, CallOptions callOptions) {
        return StreamTracing.traced(new FramewireClientCall<>(this, method, callOptions), callOptions);
    }

    /** The Framewire server's address: {@code host:port}, or the address itself for other transports. */
    @Override
    public String authority() {
        Address a = client.address();
        return a.kind() == Address.Kind.HOST_PORT ? (a.host().indexOf(':') >= 0 ? "[" + a.host() + "]" : a.host()) + ":" + a.port()
                : a.toString();
    }

    /** Counts a call that is starting; false once the channel is shut down. */
    boolean register(FramewireClientCall<?, ?> call) {
        lock.lock();
        try {
            if (shutdown) {
                return false;
            }
            calls.add(call);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** A call has ended. */
    void unregister(FramewireClientCall<?, ?> call) {
        calls.remove(call);
        maybeTerminate();
    }

    @Override
    public ConnectivityState getState(boolean requestConnection) {
        if (isShutdown()) {
            return ConnectivityState.SHUTDOWN;
        }
        return ConnectivityState.valueOf(client.connectionState(requestConnection).name());
    }

    @Override
    public void notifyWhenStateChanged(ConnectivityState source, Runnable callback) {
        StateWatch w = new StateWatch(Objects.requireNonNull(callback, "callback"));
        lock.lock();
        try {
            if (shutdown) {
                if (source != ConnectivityState.SHUTDOWN) {
                    w.fireOnOwnThread();
                }
                return; // nothing leaves SHUTDOWN
            }
            watches.add(w);
        } finally {
            lock.unlock();
        }
        client.whenConnectionStateLeaves(Client.ConnectionState.valueOf(Objects.requireNonNull(source, "source").name()),
                w::fire);
    }

    /**
     * One notifyWhenStateChanged callback: run once, by the client's state change (on the client's
     * callback executor) or the channel's shutdown (on a virtual thread of its own, never the caller's).
     */
    private final class StateWatch {
        private final Runnable callback;
        private final AtomicBoolean fired = new AtomicBoolean();

        StateWatch(Runnable callback) {
            this.callback = callback;
        }

        /** On the client's callback executor: runs the callback here, unless it has run. */
        void fire() {
            if (claim()) {
                callback.run();
            }
        }

        void fireOnOwnThread() {
            if (claim()) {
                Thread.ofVirtual().name("framewire-channel-state").start(callback);
            }
        }

        private boolean claim() {
            if (!fired.compareAndSet(false, true)) {
                return false;
            }
            lock.lock();
            try {
                watches.remove(this);
            } finally {
                lock.unlock();
            }
            return true;
        }
    }

    @Override
    public FramewireChannel shutdown() {
        List<StateWatch> due;
        lock.lock();
        try {
            shutdown = true;
            due = new ArrayList<>(watches);
        } finally {
            lock.unlock();
        }
        due.forEach(StateWatch::fireOnOwnThread);
        maybeTerminate();
        return this;
    }

    @Override
    public FramewireChannel shutdownNow() {
        shutdown();
        List<FramewireClientCall<?, ?>> inFlight = new ArrayList<>(calls);
        for (FramewireClientCall<?, ?> call : inFlight) {
            call.cancelWith(Status.UNAVAILABLE.withDescription("Channel shutdownNow invoked"));
        }
        return this;
    }

    @Override
    public boolean isShutdown() {
        lock.lock();
        try {
            return shutdown;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean isTerminated() {
        lock.lock();
        try {
            return terminated;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        long nanos = unit.toNanos(timeout);
        lock.lock();
        try {
            while (!terminated) {
                if (nanos <= 0) {
                    return false;
                }
                nanos = terminatedCondition.awaitNanos(nanos);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    private void maybeTerminate() {
        lock.lock();
        try {
            if (!shutdown || terminated || !calls.isEmpty()) {
                return;
            }
            terminated = true;
            if (ownsClient) {
                client.close();
            }
            terminatedCondition.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        return "FramewireChannel[" + client.address() + (ownsClient ? ", owns its client" : "") + "]";
    }
}
