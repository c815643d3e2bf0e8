package io.framewire;

/**
 * Serves a client-streaming method: reads the requests with {@link ServerCall#requests()} (or
 * {@link ServerCall#receive()}) and returns the one response, which ends the call with OK. Runs on a
 * virtual thread of its own.
 *
 * <pre>{@code
 * ClientStreamingHandler<Sample, Summary> summarize = call -> {
 *     Summary.Builder s = Summary.newBuilder();
 *     for (Sample x : call.requests()) s.add(x);
 *     return s.build();
 * };
 * }</pre>
 */
@FunctionalInterface
public interface ClientStreamingHandler<Req, Resp> {
    Resp handle(ServerCall<Req, Resp> call) throws Exception;
}
