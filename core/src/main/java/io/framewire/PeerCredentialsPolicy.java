package io.framewire;

import io.framewire.protocol.StatusCode;
import java.lang.System.Logger.Level;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * A ready-made authorization hook for local IPC: allows a call only if the kernel-reported credentials
 * of the calling process (AF_UNIX {@code SO_PEERCRED}) name an allowed user or group, for the whole
 * server or per method. Refused calls end with {@code PERMISSION_DENIED} and are logged with the
 * peer's pid and uid. A call over a transport that reports no credentials is refused.
 *
 * <pre>{@code
 * Server.builder()
 *         .listen("unix:///run/app/app.sock")
 *         .interceptor(PeerCredentialsPolicy.builder()
 *                 .allowUids(1000, 1001)                            // for every method ...
 *                 .allowGids(50)
 *                 .forMethod("admin.Ops/Shutdown", Set.of(0L), Set.of()) // ... except this one: root only
 *                 .build())
 *         ...
 * }</pre>
 *
 * <p>The decision is per call, on the handler's thread, before the handler runs. Immutable and thread-safe.
 */
public final class PeerCredentialsPolicy implements ServerInterceptor {
    private static final System.Logger LOG = System.getLogger("io.framewire");

    private record Rule(Set<Long> uids, Set<Long> gids) {
        boolean allows(PeerCredentials c) {
            return uids.contains(c.uid()) || gids.contains(c.gid());
        }
    }

    private final Rule server;
    private final Map<String, Rule> methods;

    private PeerCredentialsPolicy(Rule server, Map<String, Rule> methods) {
        this.server = server;
        this.methods = Map.copyOf(methods);
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public void intercept(ServerCallContext context, Next next) throws Exception {
        PeerCredentials c = context.peer().credentials().orElse(null);
        if (c == null) {
            LOG.log(Level.WARNING, "refused " + context.methodName() + " from " + context.peer().address()
                    + ": the " + context.peer().transport() + " transport reports no peer credentials");
            throw Status.of(StatusCode.PERMISSION_DENIED, "the caller's credentials are unknown on this transport").asException();
        }
        Rule rule = methods.getOrDefault(context.methodName(), server);
        if (!rule.allows(c)) {
            LOG.log(Level.WARNING, "refused " + context.methodName() + " from pid " + c.pid() + " uid " + c.uid()
                    + " gid " + c.gid());
            throw Status.of(StatusCode.PERMISSION_DENIED, "uid " + c.uid() + " (gid " + c.gid() + ") may not call "
                    + context.methodName()).asException();
        }
        next.proceed();
    }

    /** Builds a {@link PeerCredentialsPolicy}; not thread-safe. With no rule at all, every call is refused. */
    public static final class Builder {
        private final java.util.HashSet<Long> uids = new java.util.HashSet<>();
        private final java.util.HashSet<Long> gids = new java.util.HashSet<>();
        private final Map<String, Rule> methods = new HashMap<>();

        private Builder() {}

        /** Allows these user ids to call every method without a rule of its own. */
        public Builder allowUids(long... ids) {
            for (long id : ids) {
                uids.add(id);
            }
            return this;
        }

        /** Allows processes whose primary group is one of these to call every method without a rule of its own. */
        public Builder allowGids(long... ids) {
            for (long id : ids) {
                gids.add(id);
            }
            return this;
        }

        /** A rule for one method ({@code package.Service/Method}), replacing the server-wide one for it. */
        public Builder forMethod(String fullName, Set<Long> allowedUids, Set<Long> allowedGids) {
            MethodDescriptor.checkName(fullName);
            methods.put(fullName, new Rule(Set.copyOf(allowedUids), Set.copyOf(allowedGids)));
            return this;
        }

        public PeerCredentialsPolicy build() {
            return new PeerCredentialsPolicy(new Rule(Set.copyOf(uids), Set.copyOf(gids)), methods);
        }
    }
}
