package io.framewire;

import io.framewire.protocol.Metadata;
import java.util.function.BiConsumer;

/** A client call as {@link ClientInterceptor}s see it when it starts. */
public interface ClientCallInfo {

    MethodDescriptor<?, ?> method();

    /** The options so far: the caller's, as changed by earlier interceptors. */
    CallOptions options();

    /** The address the client is connected to. */
    Address target();

    /**
     * Runs {@code listener} once when the call ends, with its status and trailers, on a thread that
     * must not be blocked for long (it may be the one completing the call).
     */
    void onClose(BiConsumer<Status, Metadata> listener);
}
