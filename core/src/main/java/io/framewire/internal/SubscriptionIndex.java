package io.framewire.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Subscriptions by pattern, in a trie of tokens with a child for each literal token, one for
 * {@code *} and one for {@code >}. Matching a topic of {@code n} tokens visits at most the literal and
 * {@code *} branch at each level, so its cost grows with the depth of the topic and the number of
 * subscriptions that do match, never with the number that cannot.
 *
 * <p>Results are cached by topic, as NATS's sublist does: a publisher usually publishes to few topics,
 * so most matches are one hash look-up. The cache holds at most {@link #MAX_CACHED} topics (one entry
 * is evicted per insert beyond that) and is emptied by every add and remove, so it is never stale.
 *
 * <p>Thread-safe: matches run concurrently under a read lock; adding and removing take the write lock.
 *
 * @param <S> what is stored per subscription
 */
final class SubscriptionIndex<S> {
    private static final class Node<S> {
        final Map<String, Node<S>> children = new HashMap<>();
        Node<S> star;
        /** Subscriptions whose pattern ends in {@code >} here: they match one or more further tokens. */
        final List<S> rest = new ArrayList<>(0);
        /** Subscriptions whose pattern ends exactly here. */
        final List<S> exact = new ArrayList<>(0);

        boolean isEmpty() {
            return children.isEmpty() && star == null && rest.isEmpty() && exact.isEmpty();
        }
    }

    static final int MAX_CACHED = 1024;

    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    /** Topic to its matches (immutable); filled under the read lock, cleared under the write lock. */
    private final ConcurrentHashMap<String, List<S>> cache = new ConcurrentHashMap<>();
    private final Node<S> root = new Node<>();
    private int size;

    void add(String pattern, S subscription) {
        String[] tokens = Topics.tokens(pattern);
        lock.writeLock().lock();
        try {
            cache.clear();
            Node<S> n = root;
            for (int i = 0; i < tokens.length; i++) {
                String t = tokens[i];
                if (t.equals(">")) {
                    n.rest.add(subscription);
                    size++;
                    return;
                }
                if (t.equals("*")) {
                    if (n.star == null) {
                        n.star = new Node<>();
                    }
                    n = n.star;
                } else {
                    n = n.children.computeIfAbsent(t, k -> new Node<>());
                }
            }
            n.exact.add(subscription);
            size++;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Removes one subscription; empty branches are pruned so the trie never outgrows its subscriptions. */
    boolean remove(String pattern, S subscription) {
        String[] tokens = Topics.tokens(pattern);
        lock.writeLock().lock();
        try {
            cache.clear();
            boolean removed = remove(root, tokens, 0, subscription);
            if (removed) {
                size--;
            }
            return removed;
        } finally {
            lock.writeLock().unlock();
        }
    }

    private boolean remove(Node<S> n, String[] tokens, int i, S subscription) {
        if (i == tokens.length) {
            return n.exact.remove(subscription);
        }
        String t = tokens[i];
        if (t.equals(">")) {
            return n.rest.remove(subscription);
        }
        Node<S> child = t.equals("*") ? n.star : n.children.get(t);
        if (child == null || !remove(child, tokens, i + 1, subscription)) {
            return false;
        }
        if (child.isEmpty()) {
            if (t.equals("*")) {
                n.star = null;
            } else {
                n.children.remove(t);
            }
        }
        return true;
    }

    /** Every subscription whose pattern matches {@code topic} (a valid topic), each once; immutable. */
    List<S> match(String topic) {
        List<S> cached = cache.get(topic);
        if (cached != null) {
            return cached;
        }
        String[] tokens = Topics.tokens(topic);
        lock.readLock().lock();
        try {
            List<S> out = new ArrayList<>();
            match(root, tokens, 0, out);
            List<S> matched = List.copyOf(out);
            // Under the read lock no add or remove can run, so what is cached is current until the next one.
            if (cache.size() >= MAX_CACHED) {
                var it = cache.keySet().iterator();
                if (it.hasNext()) {
                    cache.remove(it.next());
                }
            }
            cache.put(topic, matched);
            return matched;
        } finally {
            lock.readLock().unlock();
        }
    }

    int cachedTopics() {
        return cache.size();
    }

    /** Matches into {@code out} without the cache and returns how many trie nodes were visited: the cost of the match. */
    int matchCounting(String topic, List<S> out) {
        String[] tokens = Topics.tokens(topic);
        lock.readLock().lock();
        try {
            return match(root, tokens, 0, out);
        } finally {
            lock.readLock().unlock();
        }
    }

    private int match(Node<S> n, String[] tokens, int i, List<S> out) {
        if (i == tokens.length) {
            out.addAll(n.exact);
            return 1;
        }
        out.addAll(n.rest); // '>' here matches tokens[i..], which is at least one token
        int visited = 1;
        Node<S> literal = n.children.get(tokens[i]);
        if (literal != null) {
            visited += match(literal, tokens, i + 1, out);
        }
        if (n.star != null) {
            visited += match(n.star, tokens, i + 1, out);
        }
        return visited;
    }

    int size() {
        lock.readLock().lock();
        try {
            return size;
        } finally {
            lock.readLock().unlock();
        }
    }
}
