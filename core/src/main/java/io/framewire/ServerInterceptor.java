package io.framewire;

/**
 * Runs around every call a server handles, in the handler's thread, before and after the handler:
 * authentication, logging, metrics, mapping exceptions to statuses, context propagation.
 *
 * <pre>{@code
 * ServerInterceptor auth = (ctx, next) -> {
 *     if (ctx.requestMetadata().get("authorization").isEmpty()) {
 *         throw Status.of(StatusCode.UNAUTHENTICATED, "missing credentials").asException();
 *     }
 *     next.proceed();
 * };
 * ServerInterceptor timing = (ctx, next) -> {
 *     long t0 = System.nanoTime();
 *     ctx.onClose(status -> metrics.record(ctx.methodName(), status.code(), System.nanoTime() - t0));
 *     next.proceed();
 * };
 * }</pre>
 *
 * <p>Interceptors run in the order they were added to the server; each calls {@code next.proceed()}
 * at most once to run the rest of the chain and the handler. {@code proceed()} returns when the
 * handler returns and throws what it throws, so an interceptor may translate exceptions. Throwing
 * {@link StatusException} without proceeding refuses the call with that status. For a streaming call
 * the handler's return is not the call's end: use {@link ServerCallContext#onClose} for the outcome.
 */
@FunctionalInterface
public interface ServerInterceptor {

    void intercept(ServerCallContext context, Next next) throws Exception;

    /** The rest of the chain. */
    @FunctionalInterface
    interface Next {
        void proceed() throws Exception;
    }
}
