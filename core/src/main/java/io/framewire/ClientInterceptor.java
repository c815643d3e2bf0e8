package io.framewire;

/**
 * Runs on the calling thread as each client call starts: adds metadata, tightens deadlines, refuses
 * calls, and registers for the call's outcome.
 *
 * <pre>{@code
 * ClientInterceptor auth = call -> call.options().withAddedMetadata(
 *         Metadata.builder().put("authorization", "Bearer " + token()).build());
 * ClientInterceptor log = call -> {
 *     long t0 = System.nanoTime();
 *     call.onClose((status, trailers) -> log(call.method().fullName(), status, System.nanoTime() - t0));
 *     return call.options();
 * };
 * }</pre>
 *
 * <p>Interceptors run in the order they were added to the client; each sees the options the previous
 * one returned. Throwing {@link StatusException} fails the call before anything is sent.
 */
@FunctionalInterface
public interface ClientInterceptor {

    /** Returns the options the call proceeds with. */
    CallOptions interceptCall(ClientCallInfo call);
}
