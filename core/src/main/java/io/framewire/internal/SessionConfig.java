package io.framewire.internal;

import io.framewire.protocol.Settings;
import java.util.concurrent.Executor;

/**
 * What a session needs from its client or server builder.
 *
 * @param local the settings this side announces: what it accepts
 * @param maxQueuedBytes bound of the outbound queue; senders block beyond it
 * @param streamReadyThreshold queued bytes on one stream above which its sender waits
 * @param callbackExecutor runs user callbacks (listeners, async completions) off the I/O threads
 */
public record SessionConfig(Settings local, long maxQueuedBytes, long streamReadyThreshold, Executor callbackExecutor) {}
