package io.framewire.testing;

import static org.awaitility.Awaitility.await;

import io.framewire.internal.OpenResources;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test that leaves a connection, listener or server open: everything a test opens must be
 * closed by the time it ends (closing is asynchronous, so this waits a little for it to settle).
 */
public final class LeakCheckExtension implements BeforeEachCallback, AfterEachCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(LeakCheckExtension.class);

    @Override
    public void beforeEach(ExtensionContext context) {
        context.getStore(NS).put("before", Set.copyOf(OpenResources.snapshot()));
    }

    @Override
    @SuppressWarnings("unchecked")
    public void afterEach(ExtensionContext context) {
        Set<String> before = (Set<String>) context.getStore(NS).get("before");
        try {
            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(10))
                    .until(() -> before.containsAll(OpenResources.snapshot()));
        } catch (ConditionTimeoutException e) {
            Set<String> leaked = new HashSet<>(OpenResources.snapshot());
            leaked.removeAll(before);
            throw new AssertionError("test left open: " + leaked);
        }
    }
}
