package io.framewire;

/**
 * What a subscription receives, in sequence order: a {@link Message}, or a {@link Gap} saying which
 * messages it lost. Gaps are never silent.
 *
 * <pre>{@code
 * switch (subscription.next()) {
 *     case Message m -> handle(m);
 *     case Gap g -> log.warn("lost " + g);
 * }
 * }</pre>
 */
public sealed interface Delivery permits Message, Gap {
}
