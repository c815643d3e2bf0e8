package io.framewire.internal;

import io.framewire.protocol.Settings;
import java.time.Duration;
import java.util.concurrent.Executor;

/**
 * What a session needs from its client or server builder.
 *
 * @param local the settings this side announces: what it accepts
 * @param maxQueuedBytes bound of the outbound queue of calls' frames; senders block beyond it
 * @param streamReadyThreshold queued bytes on one stream above which its sender waits
 * @param callbackExecutor runs user callbacks (listeners, async completions) off the I/O threads
 * @param maxControlBytes connection frames (PONG, ACK, refusals) that may wait unwritten; a peer that
 *        makes more wait is closed with ENHANCE_YOUR_CALM
 * @param maxPingsPerSecond PINGs a peer may send in a second
 * @param idleTimeout a peer silent this long is closed with KEEPALIVE_TIMEOUT; zero for no limit but the
 *        peer's own heartbeat
 * @param frameTimeout a frame begun must be complete within this, or FRAME_TIMEOUT; zero for none
 */
public record SessionConfig(Settings local, long maxQueuedBytes, long streamReadyThreshold, Executor callbackExecutor,
                            long maxControlBytes, int maxPingsPerSecond, Duration idleTimeout, Duration frameTimeout) {

    /** A client's: no idle limit beyond the server's heartbeat; the server's defaults otherwise. */
    public static SessionConfig forClient(Settings local, long maxQueuedBytes, Executor callbackExecutor) {
        return new SessionConfig(local, maxQueuedBytes, 64 * 1024, callbackExecutor, 1L << 20, 1_000, Duration.ZERO,
                Duration.ofSeconds(30));
    }
}
