package io.framewire.internal;

/**
 * The rules for topics and subscription patterns ({@code PROTOCOL.md} section 6): {@code .}-separated
 * tokens of printable ASCII other than space, {@code *} and {@code >}; no empty token; in a pattern a
 * token may be {@code *} (one token) or, last, {@code >} (one or more tokens).
 */
public final class Topics {
    private Topics() {}

    /**
     * Checks a topic a message is published to.
     *
     * @throws IllegalArgumentException naming the problem
     */
    public static String checkTopic(String topic) {
        String problem = problem(topic, false);
        if (problem != null) {
            throw new IllegalArgumentException("invalid topic '" + shortened(topic) + "': " + problem);
        }
        return topic;
    }

    /**
     * Checks a subscription pattern.
     *
     * @throws IllegalArgumentException naming the problem
     */
    public static String checkPattern(String pattern) {
        String problem = problem(pattern, true);
        if (problem != null) {
            throw new IllegalArgumentException("invalid pattern '" + shortened(pattern) + "': " + problem);
        }
        return pattern;
    }

    /** What is wrong with {@code s} as a topic (or pattern), or null if nothing is. */
    static String problem(String s, boolean pattern) {
        if (s.isEmpty()) {
            return "empty";
        }
        if (s.length() > 1024) {
            return "longer than 1024 characters";
        }
        int tokenStart = 0;
        char wildcard = 0; // the first '*' or '>' in the current token, if any
        for (int i = 0; i <= s.length(); i++) {
            char c = i < s.length() ? s.charAt(i) : '.';
            if (c != '.') {
                if (c <= 0x20 || c >= 0x7F) {
                    return "character at index " + i + " is not printable ASCII (or is a space)";
                }
                if ((c == '*' || c == '>') && wildcard == 0) {
                    wildcard = c;
                }
                continue;
            }
            if (i == tokenStart) {
                return "empty token at index " + tokenStart;
            }
            if (wildcard != 0) {
                if (!pattern) {
                    return "'*' and '>' belong in subscription patterns, not in topics";
                }
                if (i - tokenStart != 1) {
                    return "a wildcard must be a whole token ('" + s.substring(tokenStart, i) + "')";
                }
                if (wildcard == '>' && i != s.length()) {
                    return "'>' must be the last token";
                }
            }
            tokenStart = i + 1;
            wildcard = 0;
        }
        return null;
    }

    /** Whether {@code pattern} matches {@code topic} (both valid). The index does this faster; tests use this. */
    static boolean matches(String pattern, String topic) {
        String[] p = pattern.split("\\.", -1);
        String[] t = topic.split("\\.", -1);
        for (int i = 0; i < p.length; i++) {
            if (p[i].equals(">")) {
                return t.length > i;
            }
            if (i >= t.length || (!p[i].equals("*") && !p[i].equals(t[i]))) {
                return false;
            }
        }
        return p.length == t.length;
    }

    static String[] tokens(String s) {
        return s.split("\\.", -1);
    }

    /** The first 80 characters of {@code s}, unprintable ones as '?', for messages that echo what a peer sent. */
    static String shortened(String s) {
        return printable(s) + (s.length() > 80 ? "..." : "");
    }

    private static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length() && i < 80; i++) {
            char c = s.charAt(i);
            sb.append(c > 0x20 && c < 0x7F ? c : '?');
        }
        return sb.toString();
    }
}
