package io.framewire.internal;

import io.framewire.Deadline;
import io.framewire.ServerInterceptor;
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
 * What every connection of one server shares: its methods, interceptors, handler executor and
 * settings, and the set of live sessions (for shutdown).
 */
public final class ServerRuntime {
    final Map<String, ServerMethod> methods;
    final List<ServerInterceptor> interceptors;
    final Executor handlerExecutor;
    final SessionConfig sessionConfig;
    final Duration handshakeTimeout;
    final Set<ServerSession> sessions = ConcurrentHashMap.newKeySet();
    final Broker broker;
    volatile boolean draining;

    /**
     * @param brokerLimits per connection: subscriptions; per subscription: queued messages, queued bytes
     */
    public ServerRuntime(Map<String, ServerMethod> methods, List<ServerInterceptor> interceptors,
                         Executor handlerExecutor, SessionConfig sessionConfig, Duration handshakeTimeout,
                         int maxSubscriptionsPerConnection, int maxQueueMessages, long maxQueueBytes) {
        this.broker = new Broker(maxSubscriptionsPerConnection, maxQueueMessages, maxQueueBytes);
        this.methods = Map.copyOf(methods);
        this.interceptors = List.copyOf(interceptors);
        this.handlerExecutor = handlerExecutor;
        this.sessionConfig = sessionConfig;
        this.handshakeTimeout = handshakeTimeout;
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
