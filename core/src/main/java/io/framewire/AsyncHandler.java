package io.framewire;

/**
 * Serves a method of any shape without a thread per call: {@link #start} returns at once with a
 * listener that is pushed the requests, and the handler ends the call with {@link ServerCall#close}
 * when it is done (from any thread). This is the shape gRPC's server API has, and what bridges use.
 *
 * <pre>{@code
 * AsyncHandler<Req, Resp> forward = call -> new ServerCall.Listener<>() {
 *     public void onMessage(Req r) { backend.send(r); }
 *     public void onHalfClose() { backend.finish(); }
 *     public void onCancel(Status s) { backend.abort(); }
 * };
 * }</pre>
 *
 * <p>{@code start} runs on a virtual thread by default, or on the connection's reader with
 * {@link ExecutionMode#INLINE}; listener events run on the server's executor, in order, one at a time.
 */
@FunctionalInterface
public interface AsyncHandler<Req, Resp> {
    ServerCall.Listener<Req> start(ServerCall<Req, Resp> call) throws Exception;
}
