package io.framewire.spi;

/**
 * Marker for a transport's own options: a small immutable record per transport (for example
 * {@code TcpOptions}), never one object with every transport's settings. A provider rejects options of
 * another transport's type with {@link IllegalArgumentException}.
 */
public interface TransportOptions {}
