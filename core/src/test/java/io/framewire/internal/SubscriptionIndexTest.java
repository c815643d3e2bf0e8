package io.framewire.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The trie against a plain reference matcher, and the cost of a match. */
@Timeout(30)
class SubscriptionIndexTest {

    @ParameterizedTest(name = "{0} ~ {1} = {2}")
    @CsvSource({
            "a, a, true", "a, b, false", "a, a.b, false",
            "*, a, true", "*, a.b, false",
            ">, a, true", ">, a.b.c, true",
            "a.*, a.b, true", "a.*, a, false", "a.*, a.b.c, false",
            "a.>, a, false", "a.>, a.b, true", "a.>, a.b.c, true",
            "*.b, a.b, true", "*.b, a.c, false", "*.*, a, false",
            "a.*.c, a.b.c, true", "a.*.c, a.b.d, false",
            "*.>, a, false", "*.>, a.b, true",
    })
    void matchesLikeTheSpecSays(String pattern, String topic, boolean matches) {
        assertEquals(matches, Topics.matches(pattern, topic));
        SubscriptionIndex<String> index = new SubscriptionIndex<>();
        index.add(pattern, "s");
        assertEquals(matches ? List.of("s") : List.of(), index.match(topic));
    }

    @Test
    void agreesWithTheReferenceOnRandomPatternsAndTopics() {
        Random r = new Random(11);
        String[] tokens = {"a", "b", "c", "dd"};
        SubscriptionIndex<Integer> index = new SubscriptionIndex<>();
        List<String> patterns = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            int n = 1 + r.nextInt(4);
            StringBuilder p = new StringBuilder();
            for (int t = 0; t < n; t++) {
                if (t > 0) {
                    p.append('.');
                }
                int k = r.nextInt(10);
                p.append(k == 0 && t == n - 1 ? ">" : k < 3 ? "*" : tokens[r.nextInt(tokens.length)]);
            }
            patterns.add(p.toString());
            index.add(p.toString(), i);
        }
        for (int i = 0; i < 2000; i++) {
            int n = 1 + r.nextInt(5);
            StringBuilder t = new StringBuilder();
            for (int k = 0; k < n; k++) {
                t.append(k > 0 ? "." : "").append(tokens[r.nextInt(tokens.length)]);
            }
            Set<Integer> expected = new HashSet<>();
            for (int p = 0; p < patterns.size(); p++) {
                if (Topics.matches(patterns.get(p), t.toString())) {
                    expected.add(p);
                }
            }
            List<Integer> got = index.match(t.toString());
            assertEquals(expected, new HashSet<>(got), "topic " + t);
            assertEquals(expected.size(), got.size(), "each subscription once");
        }
    }

    @Test
    void theCostOfAMatchDoesNotGrowWithSubscriptionsThatCannotMatch() {
        SubscriptionIndex<String> index = new SubscriptionIndex<>();
        index.add("orders.*.created", "wanted");
        int costAlone = index.matchCounting("orders.eu.created", new ArrayList<>());
        for (int i = 0; i < 100_000; i++) {
            index.add("other" + i + ".x.y", "noise" + i);
            index.add("orders.eu" + i + ".created", "near" + i);
        }
        List<String> out = new ArrayList<>();
        int costWithNoise = index.matchCounting("orders.eu.created", out);
        assertEquals(List.of("wanted"), out);
        assertEquals(costAlone, costWithNoise, "200,000 subscriptions that cannot match add nothing to the cost");
        assertEquals(200_001, index.size());
    }

    @Test
    void cachedMatchesFollowEveryAddAndRemove() {
        SubscriptionIndex<String> index = new SubscriptionIndex<>();
        index.add("a.*", "star");
        assertEquals(List.of("star"), index.match("a.b"));
        assertEquals(List.of("star"), index.match("a.b"), "served from the cache");
        assertEquals(1, index.cachedTopics());
        index.add("a.b", "exact");
        assertEquals(Set.of("star", "exact"), new HashSet<>(index.match("a.b")), "an add is seen at once");
        index.remove("a.*", "star");
        assertEquals(List.of("exact"), index.match("a.b"), "so is a remove");
        index.remove("a.b", "exact");
        assertEquals(List.of(), index.match("a.b"));
    }

    @Test
    void theCacheStaysBounded() {
        SubscriptionIndex<String> index = new SubscriptionIndex<>();
        index.add(">", "all");
        for (int i = 0; i < 3 * SubscriptionIndex.MAX_CACHED; i++) {
            assertEquals(List.of("all"), index.match("t" + i));
        }
        assertEquals(SubscriptionIndex.MAX_CACHED, index.cachedTopics());
    }

    @Test
    void removingPrunesEmptyBranches() {
        SubscriptionIndex<String> index = new SubscriptionIndex<>();
        index.add("a.b.c", "x");
        index.add("a.*.>", "y");
        assertTrue(index.remove("a.b.c", "x"));
        assertFalse(index.remove("a.b.c", "x"));
        assertTrue(index.remove("a.*.>", "y"));
        assertEquals(0, index.size());
        assertEquals(1, index.matchCounting("a.b.c", new ArrayList<>()), "only the root is left to visit");
    }

    @Test
    void topicAndPatternRules() {
        for (String ok : List.of("a", "a.b", "a-b_c.d9", "A.B")) {
            assertNull(Topics.problem(ok, false), ok);
        }
        for (String bad : List.of("", "a..b", ".a", "a.", "a b", "a.*", "a.>", "é")) {
            assertNotNull(Topics.problem(bad, false), bad);
        }
        for (String ok : List.of("*", ">", "a.*", "a.>", "*.*.>", "a.*.c")) {
            assertNull(Topics.problem(ok, true), ok);
        }
        for (String bad : List.of("a.>.b", "a*", "*a", ">.a", "a..*", "a.b>", "**", ">>", "*>", "a.>.", "a.*.")) {
            assertNotNull(Topics.problem(bad, true), bad);
        }
    }
}
