package io.framewire.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class GatewayBudgetTest {
    private static final long LIMIT = 1L << 20;

    @Test
    void newCallsAreRefusedPastSevenEighthsAndAdmittedOnceACallEnds() {
        GatewayBudget budget = new GatewayBudget(LIMIT);
        List<GatewayBudget.Account> open = new ArrayList<>();
        Optional<GatewayBudget.Account> next;
        while ((next = budget.admit()).isPresent()) {
            open.add(next.get());
        }
        assertEquals((LIMIT - LIMIT / 8) / GatewayBudget.CALL_BASE, open.size());
        assertTrue(budget.refusal().contains("memory budget of 1024 KiB is spent"), budget.refusal());
        open.removeFirst().close();
        assertTrue(budget.admit().isPresent());
    }

    @Test
    void aSpentBudgetReservesNothingAndWakesTheWaitersWhenMemoryComesBack() {
        GatewayBudget budget = new GatewayBudget(LIMIT);
        GatewayBudget.Account hog = budget.admit().orElseThrow();
        GatewayBudget.Account other = budget.admit().orElseThrow();
        hog.charge(LIMIT); // arrived, whether or not it fits
        AtomicInteger woken = new AtomicInteger();
        assertFalse(other.tryCharge(100, woken::incrementAndGet));
        assertEquals(0, woken.get());
        hog.release(LIMIT / 2);
        assertEquals(1, woken.get());
        assertTrue(other.tryCharge(100, woken::incrementAndGet));
        hog.release(LIMIT); // more than it holds: what it holds
        assertEquals(GatewayBudget.CALL_BASE * 2 + 100, budget.used());
    }

    @Test
    void aClosedAccountReturnsAllAndChargesNothingMore() {
        GatewayBudget budget = new GatewayBudget(LIMIT);
        GatewayBudget.Account account = budget.admit().orElseThrow();
        account.charge(5000);
        assertTrue(account.tryCharge(3000, () -> { }));
        account.close();
        assertEquals(0, budget.used());
        assertEquals(0, budget.calls());
        account.charge(100); // a late event of a call that has ended
        account.close();
        assertEquals(0, budget.used());
    }
}
