package io.framewire;

/**
 * Serves a unary method: one request in, one response out.
 *
 * <pre>{@code
 * UnaryHandler<String, String> echo = (request, ctx) -> {
 *     if (request.isEmpty()) {
 *         throw Status.of(StatusCode.INVALID_ARGUMENT, "empty request").asException();
 *     }
 *     return request;
 * };
 * }</pre>
 *
 * <p>Runs on a virtual thread of its own by default (see {@link ExecutionMode}), so it may block.
 * Throwing {@link StatusException} ends the call with that status; throwing anything else ends it with
 * {@code INTERNAL}, logs the exception on the server, and sends no stack trace to the client.
 */
@FunctionalInterface
public interface UnaryHandler<Req, Resp> {
    Resp handle(Req request, ServerCallContext context) throws Exception;
}
