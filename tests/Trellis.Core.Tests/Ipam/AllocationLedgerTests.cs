using Trellis.Core.Ipam;

namespace Trellis.Core.Tests.Ipam;

public class AllocationLedgerTests
{
    private static List<UInt128> AllocateAll(AllocationLedger ledger)
    {
        var numbers = new List<UInt128>();
        while (ledger.TryAllocateLowest(out var n))
        {
            numbers.Add(n);
        }

        return numbers;
    }

    [Fact]
    public void TryAllocateLowest_HandsOutNumbersInAscendingOrder()
    {
        var ledger = new AllocationLedger(20, 24);

        Assert.Equal([20, 21, 22, 23, 24], AllocateAll(ledger).Select(n => (int)n));
    }

    [Fact]
    public void TryAllocateLowest_FailsWhenExhausted_AndLeavesTheCountsAlone()
    {
        var ledger = new AllocationLedger(1, 3);
        AllocateAll(ledger);

        Assert.False(ledger.TryAllocateLowest(out _));
        Assert.Equal((3, 3, 0), (ledger.Size, ledger.Taken, ledger.Free));
    }

    [Fact]
    public void Release_ThenAllocate_ReturnsTheSameNumber()
    {
        var ledger = new AllocationLedger(0, 199);
        AllocateAll(ledger);

        Assert.True(ledger.Release(130));
        Assert.True(ledger.TryAllocateLowest(out var again));
        Assert.Equal((UInt128)130, again);
    }

    [Fact]
    public void Release_OfSeveral_HandsThemBackLowestFirst()
    {
        var ledger = new AllocationLedger(0, 199);
        AllocateAll(ledger);
        ledger.Release(150);
        ledger.Release(3);
        ledger.Release(64);

        Assert.Equal([3, 64, 150], AllocateAll(ledger).Select(n => (int)n));
    }

    [Fact]
    public void Release_IsFalse_ForAFreeOrForeignNumber()
    {
        var ledger = new AllocationLedger(10, 20);
        ledger.TryAllocate(15);

        Assert.False(ledger.Release(14));
        Assert.False(ledger.Release(9));
        Assert.False(ledger.Release(21));
        Assert.True(ledger.Release(15));
        Assert.False(ledger.Release(15));
        Assert.Equal(0, ledger.Taken);
    }

    [Fact]
    public void TryAllocate_TakesAGivenNumberOnce_AndOnlyInsideThePool()
    {
        var ledger = new AllocationLedger(10, 20);

        Assert.True(ledger.TryAllocate(20));
        Assert.False(ledger.TryAllocate(20));
        Assert.False(ledger.TryAllocate(21));
        Assert.False(ledger.TryAllocate(9));
        Assert.True(ledger.IsTaken(20));
        Assert.False(ledger.IsTaken(19));
        Assert.False(ledger.IsTaken(21));
        Assert.Equal(1, ledger.Taken);
    }

    [Fact]
    public void TryAllocateLowest_SkipsNumbersTakenByHand()
    {
        var ledger = new AllocationLedger(1, 5);
        ledger.TryAllocate(1);
        ledger.TryAllocate(2);
        ledger.TryAllocate(4);

        Assert.Equal([3, 5], AllocateAll(ledger).Select(n => (int)n));
    }

    [Fact]
    public void Block_TakesTheOverlapWithThePool_AndCountsOnlyNewlyTaken()
    {
        var ledger = new AllocationLedger(10, 20);
        ledger.TryAllocate(12);

        Assert.Equal(4, ledger.Block(5, 14));
        Assert.Equal(0, ledger.Block(10, 12));
        Assert.Equal(1, ledger.Block(20, 100));
        Assert.Equal(0, ledger.Block(30, 40));
        Assert.Equal(0, ledger.Block(15, 14));
        Assert.Equal(6, ledger.Taken);
        Assert.Equal([15, 16, 17, 18, 19], AllocateAll(ledger).Select(n => (int)n));
    }

    [Fact]
    public void Block_AcrossSeveralRanges()
    {
        var ledger = new AllocationLedger([(0, 9), (20, 29)]);

        Assert.Equal(10, ledger.Block(5, 24));
        Assert.Equal(10, ledger.Free);
        Assert.Equal([0, 1, 2, 3, 4, 25, 26, 27, 28, 29], AllocateAll(ledger).Select(n => (int)n));
    }

    [Fact]
    public void Block_AtTheTopOfTheNumberSpace_DoesNotOverflow()
    {
        var ledger = new AllocationLedger(UInt128.MaxValue - 3, UInt128.MaxValue);

        Assert.Equal(4, ledger.Block(UInt128.MaxValue - 10, UInt128.MaxValue));
        Assert.Equal(0, ledger.Free);
    }

    [Fact]
    public void MultipleRanges_AreUsedInAddressOrder_WhateverOrderTheyAreGiven()
    {
        var ledger = new AllocationLedger([(100, 101), (1, 2), (50, 50)]);

        Assert.Equal(5, ledger.Size);
        Assert.True(ledger.Contains(50));
        Assert.False(ledger.Contains(3));
        Assert.False(ledger.Contains(99));
        Assert.Equal([1, 2, 50, 100, 101], AllocateAll(ledger).Select(n => (int)n));
    }

    [Fact]
    public void Counts_FollowEveryOperation()
    {
        var ledger = new AllocationLedger([(0, 63), (64, 64), (1000, 1099)]);

        Assert.Equal((165, 0, 165), (ledger.Size, ledger.Taken, ledger.Free));
        ledger.TryAllocateLowest(out _);
        ledger.TryAllocate(64);
        ledger.Block(1000, 1009);
        Assert.Equal((165, 12, 153), (ledger.Size, ledger.Taken, ledger.Free));
        ledger.Release(64);
        Assert.Equal((165, 11, 154), (ledger.Size, ledger.Taken, ledger.Free));
    }

    [Fact]
    public void WordBoundaries_AreHandledExactly()
    {
        var ledger = new AllocationLedger(0, 128);

        var all = AllocateAll(ledger);

        Assert.Equal(129, all.Count);
        Assert.Equal((UInt128)128, all[^1]);
        ledger.Release(63);
        ledger.Release(64);
        ledger.Release(128);
        Assert.Equal([63, 64, 128], AllocateAll(ledger).Select(n => (int)n));
    }

    [Fact]
    public void HugeNumbers_AsInIPv6_Work()
    {
        var first = (UInt128.One << 120) + 5;
        var ledger = new AllocationLedger(first, first + 9);

        Assert.True(ledger.TryAllocateLowest(out var n));
        Assert.Equal(first, n);
        Assert.True(ledger.TryAllocate(first + 9));
        Assert.False(ledger.Contains(first + 10));
    }

    [Fact]
    public void Constructor_RejectsOverlappingRanges()
    {
        Assert.Throws<ArgumentException>(() => new AllocationLedger([(1, 10), (10, 20)]));
        Assert.Throws<ArgumentException>(() => new AllocationLedger([(5, 6), (1, 10)]));
    }

    [Fact]
    public void Constructor_AcceptsAdjacentRanges()
    {
        var ledger = new AllocationLedger([(1, 10), (11, 20)]);

        Assert.Equal(20, ledger.Size);
    }

    [Fact]
    public void Constructor_RejectsAReversedOrOversizedRange()
    {
        Assert.Throws<ArgumentException>(() => new AllocationLedger(10, 9));
        Assert.Throws<ArgumentException>(() => new AllocationLedger(0, AllocationLedger.MaxRangeSize));
        Assert.Equal(AllocationLedger.MaxRangeSize, new AllocationLedger(0, AllocationLedger.MaxRangeSize - 1).Size);
    }

    [Fact]
    public void AnEmptyLedger_HasNothingToGive()
    {
        var ledger = new AllocationLedger([]);

        Assert.Equal(0, ledger.Size);
        Assert.False(ledger.TryAllocateLowest(out _));
        Assert.False(ledger.Contains(0));
    }
}
