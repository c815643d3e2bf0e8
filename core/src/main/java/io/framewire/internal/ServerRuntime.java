package io.framewire.internal;

import io.framewire.AsyncHandler;
import io.framewire.Deadline;
import io.framewire.ExecutionMode;
import io.framewire.ServerInterceptor;
import io.framewire.ServerLimits;
import io.framewire.protocol.MethodType;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/**
 * What every connection of one server shares: its methods, interceptors, handler executor, settings
 * and limits, the memory budget, the broker, and the set of live sessions (for shutdown).
 */
public final class ServerRuntime {
    final Map<String, ServerMethod> methods;
    private final AsyncHandler<byte[], byte[]> fallback;
    private final ExecutionMode fallbackMode;
    final List<ServerInterceptor> interceptors;
    final Executor handlerExecutor;
    final SessionConfig sessionConfig;
    final ServerLimits limits;
    final Duration handshakeTimeout;
    final Set<ServerSession> sessions = ConcurrentHashMap.newKeySet();
    final Broker broker = new Broker();
    final MemoryBudget memory;
    volatile boolean draining;

    public ServerRuntime(Map<String, ServerMethod> methods, AsyncHandler<byte[], byte[]> fallback,
                         ExecutionMode fallbackMode, List<ServerInterceptor> interceptors,
                         Executor handlerExecutor, SessionConfig sessionConfig, ServerLimits limits) {
        this.methods = Map.copyOf(methods);
        this.fallback = fallback;
        this.fallbackMode = fallbackMode;
        this.interceptors = List.copyOf(interceptors);
        this.handlerExecutor = handlerExecutor;
        this.sessionConfig = sessionConfig;
        this.limits = limits;
        this.handshakeTimeout = limits.handshakeTimeout();
        this.memory = new MemoryBudget(limits.memoryBudget());
    }

    /** The method that serves a call of a method no service registered, or null: unimplemented. */
    ServerMethod fallbackFor(String name, MethodType shape) {
        return fallback == null ? null : ServerMethod.fallback(name, shape, fallbackMode, fallback);
    }

    /**
     * Why a new connection cannot be taken now (too many connections, or the memory budget is full),
     * or null if it can.
     */
    String refusal() {
        if (sessions.size() >= limits.maxConnections()) {
            return "too many connections (the server's limit is " + limits.maxConnections() + ")";
        }
        if (!memory.admits(Session.BASE_BYTES)) {
            return "the server's memory budget (" + (memory.limit() >> 10) + " KiB) is full";
        }
        return null;
    }

    /** Bytes the connections hold against the memory budget; for tests and monitoring. */
    public long memoryInUse() {
        return memory.used();
    }

    /** Connections shed because the memory budget ran out; for tests and monitoring. */
    public long connectionsShed() {
        return memory.shedCount();
    }

    public int sessionCount() {
        return sessions.size();
    }

    /** Drains every connection: GOAWAY now, close when their calls are done. */
    public void shutdown() {
        draining = true;
        for (ServerSession s : sessions) {
            s.goAway();
        }
    }

    /** Closes every connection now, cancelling calls in flight. */
    public void shutdownNow() {
        draining = true;
        for (ServerSession s : sessions) {
            s.closeNow();
        }
    }

    /** Waits until no session is left. */
    public boolean awaitNoSessions(Deadline deadline) throws InterruptedException {
        while (true) {
            ServerSession any = sessions.stream().findAny().orElse(null);
            if (any == null) {
                return true;
            }
            try {
                any.closeFuture().get(Math.max(0, deadline.remainingNanos()), TimeUnit.NANOSECONDS);
            } catch (ExecutionException e) {
                // closed all the same
            } catch (TimeoutException e) {
                return false;
            }
        }
    }
}
