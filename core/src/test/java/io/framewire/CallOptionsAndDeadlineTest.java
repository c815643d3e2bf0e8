package io.framewire;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framewire.protocol.Metadata;
import io.framewire.protocol.MethodType;
import io.framewire.protocol.StatusCode;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The small value types of the API: {@link Deadline}, {@link CallOptions}, {@link Status}, {@link MethodDescriptor}. */
@Timeout(30)
class CallOptionsAndDeadlineTest {

    private static final long FIFTY_YEARS_NANOS = TimeUnit.DAYS.toNanos(365L * 50); // Deadline clamps offsets at about 73 years

    /** Waits (without sleeping) until the monotonic clock has moved on by at least {@code nanos} from {@code since}. */
    private static void clockAdvances(long since, long nanos) {
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(1))
                .until(() -> System.nanoTime() - since >= nanos);
    }

    @Nested
    class Deadlines {

        @Test
        void aDeadlineInTheFutureIsNotExpiredAndCountsDown() {
            Deadline d = Deadline.after(Duration.ofHours(1));
            assertFalse(d.isExpired());
            long left = d.remainingNanos();
            assertTrue(left > 0 && left <= Duration.ofHours(1).toNanos(), "remaining " + left);
            assertTrue(left > Duration.ofMinutes(59).toNanos(), "remaining " + left);
            Duration remaining = d.timeRemaining();
            assertTrue(remaining.compareTo(Duration.ofHours(1)) <= 0 && remaining.compareTo(Duration.ofMinutes(59)) > 0,
                    remaining.toString());
            long before = System.nanoTime();
            clockAdvances(before, 1_000_000);
            assertTrue(d.remainingNanos() < left, "time left must shrink as the clock advances");
            assertTrue(d.toString().startsWith("Deadline[") && d.toString().endsWith("ms left]"), d.toString());
        }

        @Test
        void aShortDeadlineExpires() {
            Deadline d = Deadline.after(Duration.ofMillis(100));
            assertTrue(d.remainingNanos() <= Duration.ofMillis(100).toNanos());
            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(5)).until(d::isExpired);
            assertTrue(d.remainingNanos() <= 0);
            assertTrue(d.timeRemaining().isNegative() || d.timeRemaining().isZero());
            assertTrue(d.toString().contains("expired"), d.toString());
        }

        @Test
        void zeroAndNegativeTimeoutsGiveADeadlineAlreadyPast() {
            for (Duration timeout : List.of(Duration.ZERO, Duration.ofNanos(-1), Duration.ofMillis(-1), Duration.ofHours(-1))) {
                Deadline d = Deadline.after(timeout);
                assertTrue(d.isExpired(), timeout + " gave " + d);
                assertTrue(d.remainingNanos() <= 0, timeout + " gave " + d);
            }
            Deadline hourAgo = Deadline.after(Duration.ofHours(-1));
            assertTrue(hourAgo.remainingNanos() <= -Duration.ofMinutes(59).toNanos(), hourAgo.toString());
            assertTrue(Deadline.afterNanos(-5).isExpired());
        }

        static Stream<Duration> hugeNegativeTimeouts() {
            return Stream.of(Duration.ofNanos(Long.MIN_VALUE), Duration.ofNanos(-Long.MAX_VALUE),
                    Duration.ofSeconds(Long.MIN_VALUE), Duration.ofSeconds(-Long.MAX_VALUE),
                    ChronoUnit.FOREVER.getDuration().negated(), Duration.ofDays(-365L * 1000));
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("hugeNegativeTimeouts")
        void negativeTimeoutsOfAnySizeGiveAnExpiredDeadlineThatStaysExpired(Duration timeout) {
            long created = System.nanoTime();
            Deadline d = Deadline.after(timeout);
            clockAdvances(created, 1_000);
            assertTrue(d.isExpired(), timeout + " gave " + d + " (remaining " + d.remainingNanos() + " ns)");
            assertTrue(d.remainingNanos() < 0, timeout + ": remaining " + d.remainingNanos());
            assertTrue(d.compareTo(Deadline.after(Duration.ZERO)) < 0, timeout + " must be earlier than now");
            assertTrue(d.compareTo(Deadline.after(Duration.ofHours(1))) < 0, timeout + " must be earlier than in an hour");
        }

        static Stream<Duration> hugePositiveTimeouts() {
            return Stream.of(Duration.ofNanos(Long.MAX_VALUE), Duration.ofSeconds(Long.MAX_VALUE),
                    ChronoUnit.FOREVER.getDuration(), Duration.ofDays(365L * 10_000), Duration.ofDays(365L * 200));
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("hugePositiveTimeouts")
        void hugeTimeoutsSaturateFarInTheFutureWithoutOverflow(Duration timeout) {
            Deadline d = Deadline.after(timeout);
            assertFalse(d.isExpired(), timeout + " gave " + d);
            assertTrue(d.remainingNanos() > FIFTY_YEARS_NANOS, timeout + ": remaining " + d.remainingNanos());
            assertTrue(d.timeRemaining().compareTo(Duration.ofDays(365L * 50)) > 0, d.timeRemaining().toString());

            Deadline day = Deadline.after(Duration.ofDays(1));
            Deadline past = Deadline.after(Duration.ofSeconds(-1));
            assertTrue(d.compareTo(day) > 0 && day.compareTo(d) < 0, timeout + " must be later than a day from now");
            assertTrue(d.compareTo(past) > 0 && past.compareTo(d) < 0, timeout + " must be later than a second ago");
            assertSame(past, d.earliest(past));
            assertSame(day, d.earliest(day));
            assertSame(day, day.earliest(d));

            long created = System.nanoTime();
            clockAdvances(created, 1_000_000);
            assertFalse(d.isExpired(), "still far in the future");
        }

        @Test
        void afterNanosSaturatesToo() {
            Deadline d = Deadline.afterNanos(Long.MAX_VALUE);
            assertFalse(d.isExpired());
            Deadline past = Deadline.afterNanos(-1_000_000_000L);
            assertTrue(d.compareTo(past) > 0, "afterNanos(Long.MAX_VALUE) must be later than a second ago");
            assertSame(past, d.earliest(past));
        }

        @Test
        void theMostExtremeDeadlinesCompareCorrectlyWhicheverWasCreatedFirst() {
            Deadline longAgo = Deadline.after(Duration.ofSeconds(Long.MIN_VALUE));
            clockAdvances(System.nanoTime(), 1_000);
            Deadline farAway = Deadline.after(Duration.ofSeconds(Long.MAX_VALUE));
            assertTrue(longAgo.compareTo(farAway) < 0, "the past deadline must come first");
            assertTrue(farAway.compareTo(longAgo) > 0, "the future deadline must come last");
            assertSame(longAgo, farAway.earliest(longAgo));

            Deadline farAway2 = Deadline.after(Duration.ofSeconds(Long.MAX_VALUE));
            clockAdvances(System.nanoTime(), 1_000);
            Deadline longAgo2 = Deadline.after(Duration.ofSeconds(Long.MIN_VALUE));
            assertTrue(longAgo2.compareTo(farAway2) < 0 && farAway2.compareTo(longAgo2) > 0);
        }

        @Test
        void compareToEarliestAndEqualityOrderDeadlinesInTime() {
            Deadline a = Deadline.after(Duration.ofSeconds(1));
            Deadline b = Deadline.after(Duration.ofSeconds(2));
            Deadline c = Deadline.after(Duration.ofSeconds(-3));
            assertTrue(a.compareTo(b) < 0);
            assertTrue(b.compareTo(a) > 0);
            assertEquals(0, a.compareTo(a));
            assertSame(a, a.earliest(b));
            assertSame(a, b.earliest(a));
            assertSame(c, a.earliest(c));
            assertSame(a, a.earliest(a));

            List<Deadline> sorted = new ArrayList<>(List.of(b, c, a));
            Collections.sort(sorted);
            assertEquals(List.of(c, a, b), sorted);

            assertEquals(a, a);
            assertEquals(a.hashCode(), a.hashCode());
            assertNotEquals(a, b);
            assertNotEquals(a, "a deadline");
        }
    }

    @Nested
    class CallOptionsTests {

        @Test
        void defaultHasNoDeadlineAndNoMetadata() {
            assertEquals(Optional.empty(), CallOptions.DEFAULT.timeout());
            assertEquals(Optional.empty(), CallOptions.DEFAULT.deadline());
            assertEquals(Optional.empty(), CallOptions.DEFAULT.effectiveDeadline());
            assertSame(Metadata.EMPTY, CallOptions.DEFAULT.metadata());
        }

        @Test
        void aTimeoutStartsWhenTheEffectiveDeadlineIsTaken() {
            CallOptions o = CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(30));
            assertEquals(Optional.of(Duration.ofSeconds(30)), o.timeout());
            assertEquals(Optional.empty(), o.deadline());

            long before = System.nanoTime();
            Deadline first = o.effectiveDeadline().orElseThrow();
            long left = first.remainingNanos();
            assertTrue(left <= Duration.ofSeconds(30).toNanos() && left > Duration.ofSeconds(25).toNanos(), "left " + left);

            clockAdvances(before, 2_000_000);
            Deadline second = o.effectiveDeadline().orElseThrow();
            assertTrue(second.compareTo(first) > 0, "a timeout is relative: a later call gets a later deadline");
        }

        @Test
        void aDeadlineIsUsedAsIs() {
            Deadline d = Deadline.after(Duration.ofSeconds(10));
            CallOptions o = CallOptions.DEFAULT.withDeadline(d);
            assertEquals(Optional.of(d), o.deadline());
            assertEquals(Optional.empty(), o.timeout());
            assertSame(d, o.effectiveDeadline().orElseThrow());
        }

        @Test
        void withBothTheEarlierWins() {
            Deadline soon = Deadline.after(Duration.ofSeconds(1));
            CallOptions deadlineFirst = CallOptions.DEFAULT.withTimeout(Duration.ofHours(1)).withDeadline(soon);
            assertSame(soon, deadlineFirst.effectiveDeadline().orElseThrow());

            Deadline late = Deadline.after(Duration.ofHours(1));
            CallOptions timeoutFirst = CallOptions.DEFAULT.withDeadline(late).withTimeout(Duration.ofSeconds(1));
            Deadline effective = timeoutFirst.effectiveDeadline().orElseThrow();
            assertTrue(effective.compareTo(late) < 0, "the one-second timeout is earlier than the hour-long deadline");
            assertTrue(effective.remainingNanos() <= Duration.ofSeconds(1).toNanos());

            Deadline expired = Deadline.after(Duration.ofSeconds(-1));
            assertSame(expired, CallOptions.DEFAULT.withDeadline(expired).withTimeout(Duration.ofHours(1))
                    .effectiveDeadline().orElseThrow());
        }

        @Test
        void withAddedMetadataAppendsAndWithMetadataReplaces() {
            Metadata base = Metadata.builder().put("tenant", "acme").put("k", "1").build();
            Metadata more = Metadata.builder().put("k", "2").put("trace", "t").build();
            CallOptions o = CallOptions.DEFAULT.withMetadata(base);
            CallOptions added = o.withAddedMetadata(more);
            assertEquals(List.of("1", "2"), added.metadata().getAll("k"));
            assertEquals(Optional.of("acme"), added.metadata().get("tenant"));
            assertEquals(Optional.of("t"), added.metadata().get("trace"));
            assertEquals(4, added.metadata().size());
            assertEquals(List.of("tenant", "k", "k", "trace"),
                    List.of(added.metadata().keyAt(0), added.metadata().keyAt(1), added.metadata().keyAt(2),
                            added.metadata().keyAt(3)));

            CallOptions replaced = added.withMetadata(more);
            assertEquals(more, replaced.metadata());

            assertEquals(more, CallOptions.DEFAULT.withAddedMetadata(more).metadata());
            assertEquals(base, o.withAddedMetadata(Metadata.EMPTY).metadata());
        }

        @Test
        void everyWithReturnsACopyAndLeavesTheOriginalUnchanged() {
            Metadata m = Metadata.builder().put("a", "1").build();
            Deadline d = Deadline.after(Duration.ofMinutes(1));
            CallOptions base = CallOptions.DEFAULT;
            CallOptions withTimeout = base.withTimeout(Duration.ofSeconds(5));
            CallOptions withDeadline = withTimeout.withDeadline(d);
            CallOptions withMetadata = withDeadline.withMetadata(m);
            CallOptions withMore = withMetadata.withAddedMetadata(Metadata.builder().put("b", "2").build());

            assertEquals(Optional.empty(), base.timeout());
            assertEquals(Optional.empty(), base.deadline());
            assertSame(Metadata.EMPTY, base.metadata());
            assertEquals(Optional.empty(), withTimeout.deadline());
            assertSame(Metadata.EMPTY, withDeadline.metadata());
            assertEquals(m, withMetadata.metadata());
            assertEquals(1, withMetadata.metadata().size());

            // later copies keep what earlier ones set
            assertEquals(Optional.of(Duration.ofSeconds(5)), withMore.timeout());
            assertEquals(Optional.of(d), withMore.deadline());
            assertEquals(List.of("a", "b"), List.copyOf(withMore.metadata().keys()));
            assertTrue(withMore.toString().contains("PT5S"), withMore.toString());
        }

        @Test
        void nullsAreRejected() {
            assertThrows(NullPointerException.class, () -> CallOptions.DEFAULT.withTimeout(null));
            assertThrows(NullPointerException.class, () -> CallOptions.DEFAULT.withDeadline(null));
            assertThrows(NullPointerException.class, () -> CallOptions.DEFAULT.withMetadata(null));
            assertThrows(NullPointerException.class, () -> CallOptions.DEFAULT.withAddedMetadata(null));
        }
    }

    @Nested
    class Statuses {

        @Test
        void ofKeepsCodeAndDescriptionAndOnlyOkIsOk() {
            for (StatusCode code : StatusCode.values()) {
                Status s = Status.of(code, "why " + code);
                assertSame(code, s.code());
                assertEquals("why " + code, s.description());
                assertEquals(code == StatusCode.OK, s.isOk(), code.toString());
            }
            assertTrue(Status.OK.isOk());
            assertEquals("", Status.OK.description());
            assertEquals("", Status.of(StatusCode.NOT_FOUND, null).description());
            assertThrows(NullPointerException.class, () -> Status.of(null, "x"));
        }

        @Test
        void equalityAndText() {
            assertEquals(Status.of(StatusCode.NOT_FOUND, "no key"), Status.of(StatusCode.NOT_FOUND, "no key"));
            assertEquals(Status.of(StatusCode.NOT_FOUND, "no key").hashCode(), Status.of(StatusCode.NOT_FOUND, "no key").hashCode());
            assertNotEquals(Status.of(StatusCode.NOT_FOUND, "no key"), Status.of(StatusCode.NOT_FOUND, "other"));
            assertNotEquals(Status.of(StatusCode.NOT_FOUND, "x"), Status.of(StatusCode.ABORTED, "x"));
            assertEquals(Status.OK, Status.of(StatusCode.OK, null));
            assertEquals("NOT_FOUND: no key", Status.of(StatusCode.NOT_FOUND, "no key").toString());
            assertEquals("CANCELLED", Status.of(StatusCode.CANCELLED, "").toString());
        }

        @Test
        void asExceptionCarriesTheStatusAndNoTrailers() {
            Status s = Status.of(StatusCode.NOT_FOUND, "no key k");
            StatusException e = s.asException();
            assertSame(s, e.status());
            assertSame(Metadata.EMPTY, e.trailers());
            assertNull(e.getCause());
            assertEquals("NOT_FOUND: no key k", e.getMessage());
        }

        @Test
        void asExceptionWithTrailersKeepsThem() {
            Metadata trailers = Metadata.builder().put("retry-after", "5").putBinary("detail-bin", new byte[] {1, 2}).build();
            Status s = Status.of(StatusCode.RESOURCE_EXHAUSTED, "slow down");
            StatusException e = s.asException(trailers);
            assertSame(s, e.status());
            assertEquals(trailers, e.trailers());
            assertEquals(Optional.of("5"), e.trailers().get("retry-after"));
            assertNull(e.getCause());
            assertThrows(NullPointerException.class, () -> s.asException((Metadata) null));
        }

        @Test
        void asExceptionWithACauseKeepsItLocally() {
            IllegalStateException cause = new IllegalStateException("boom");
            StatusException e = Status.of(StatusCode.INTERNAL, "failed").asException(cause);
            assertSame(cause, e.getCause());
            assertSame(Metadata.EMPTY, e.trailers());
            assertEquals(StatusCode.INTERNAL, e.status().code());
        }
    }

    @Nested
    class MethodDescriptors {

        @Test
        void theFullNameSplitsIntoServiceAndMethod() {
            MethodDescriptor<String, String> m = MethodDescriptor.unary("demo.pkg.Echo/Say", Codec.utf8(), Codec.utf8());
            assertEquals("demo.pkg.Echo/Say", m.fullName());
            assertEquals("demo.pkg.Echo", m.serviceName());
            assertEquals("Say", m.methodName());
            assertEquals(MethodType.UNARY, m.type());
            assertEquals("demo.pkg.Echo/Say (UNARY)", m.toString());

            MethodDescriptor<String, String> shortest = MethodDescriptor.unary("a/b", Codec.utf8(), Codec.utf8());
            assertEquals("a", shortest.serviceName());
            assertEquals("b", shortest.methodName());
        }

        @Test
        void eachFactoryGivesItsShapeAndKeepsTheCodecs() {
            Codec<String> req = Codec.utf8();
            Codec<byte[]> resp = Codec.bytes();
            assertEquals(MethodType.UNARY, MethodDescriptor.unary("s.S/M", req, resp).type());
            assertEquals(MethodType.SERVER_STREAMING, MethodDescriptor.serverStreaming("s.S/M", req, resp).type());
            assertEquals(MethodType.CLIENT_STREAMING, MethodDescriptor.clientStreaming("s.S/M", req, resp).type());
            assertEquals(MethodType.BIDI_STREAMING, MethodDescriptor.bidiStreaming("s.S/M", req, resp).type());
            MethodDescriptor<String, byte[]> m = MethodDescriptor.create("s.S/M", MethodType.BIDI_STREAMING, req, resp);
            assertSame(req, m.requestCodec());
            assertSame(resp, m.responseCodec());
        }

        @ParameterizedTest(name = "\"{0}\"")
        @ValueSource(strings = {"noslash", "a/b/c", "/x", "x/", "/", "", "//", "a//b", "pkg.Svc/"})
        void malformedNamesAreRejectedQuotingTheName(String name) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> MethodDescriptor.unary(name, Codec.utf8(), Codec.utf8()));
            assertTrue(e.getMessage().contains("'" + name + "'"), e.getMessage());
            assertTrue(e.getMessage().contains("package.Service/Method"), e.getMessage());
        }

        @Test
        void nullsAreRejected() {
            assertThrows(NullPointerException.class, () -> MethodDescriptor.unary(null, Codec.utf8(), Codec.utf8()));
            assertThrows(NullPointerException.class, () -> MethodDescriptor.unary("s.S/M", null, Codec.utf8()));
            assertThrows(NullPointerException.class, () -> MethodDescriptor.unary("s.S/M", Codec.utf8(), null));
            assertThrows(NullPointerException.class, () -> MethodDescriptor.create("s.S/M", null, Codec.utf8(), Codec.utf8()));
        }
    }
}
