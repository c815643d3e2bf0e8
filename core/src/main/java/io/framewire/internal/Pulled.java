package io.framewire.internal;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.function.Supplier;

/** A pulled call's messages as an {@link Iterable}, for one iteration, over its blocking receive. */
final class Pulled {
    private Pulled() {}

    static <T> Iterable<T> messages(Supplier<Optional<T>> receive) {
        return () -> new Iterator<>() {
            private Optional<T> next;

            @Override
            public boolean hasNext() {
                if (next == null) {
                    next = receive.get();
                }
                return next.isPresent();
            }

            @Override
            public T next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                T t = next.get();
                next = null;
                return t;
            }
        };
    }
}
