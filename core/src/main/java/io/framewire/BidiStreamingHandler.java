package io.framewire;

/**
 * Serves a bidirectional-streaming method: reads requests and sends responses in any order through
 * the {@link ServerCall}; returning ends the call with OK. Runs on a virtual thread of its own, which
 * may start more (for example one to read while it sends).
 */
@FunctionalInterface
public interface BidiStreamingHandler<Req, Resp> {
    void handle(ServerCall<Req, Resp> call) throws Exception;
}
