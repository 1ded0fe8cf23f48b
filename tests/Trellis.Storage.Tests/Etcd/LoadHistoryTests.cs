using Trellis.StoreLoad;
using static Trellis.Storage.Tests.StoreText;

namespace Trellis.Storage.Tests.Etcd;

/// <summary>The check of <see cref="EtcdConcurrencyTests"/> finds what it must: each promise broken in a small history.</summary>
public sealed class LoadHistoryTests
{
    private const string A = "alloc/vip/10.0.0.1";
    private const string B = "alloc/vip/10.0.0.2";

    private static LoadEvent Take(string key, string value, long revision) => new(LoadEventKind.Take, key, value, revision, 0);

    private static LoadEvent Release(string key, string value, long revision, long held) => new(LoadEventKind.Release, key, value, revision, held);

    private static StoredItem Held(string key, string value, long revision) => new(key, Bytes(value), revision);

    [Fact]
    public void Check_AlternatingTakesAndReleasesMatchingTheStore_FindsNothing()
    {
        var verdict = LoadHistory.Check(
            [Take(A, "p0.t0#0", 10), Release(A, "p0.t0#0", 12, 10), Take(B, "p1.t0#0", 11), Take(A, "p2.t3#5", 13)],
            [Held(A, "p2.t3#5", 13), Held(B, "p1.t0#0", 11)]);

        Assert.Empty(verdict.Violations);
        Assert.Equal(2, verdict.Held);
    }

    [Fact]
    public void Check_ASecondTakeWhileHeld_IsAnAddressHeldTwice()
    {
        var verdict = LoadHistory.Check([Take(A, "p0.t0#0", 10), Take(A, "p1.t0#0", 11)], [Held(A, "p1.t0#0", 11)]);

        Assert.Contains(verdict.Violations, v => v.Contains("held twice", StringComparison.Ordinal));
    }

    [Fact]
    public void Check_AnAcknowledgedTakeMissingAtTheEnd_IsLost()
    {
        var verdict = LoadHistory.Check([Take(A, "p0.t0#0", 10), Take(B, "p0.t1#0", 11)], [Held(B, "p0.t1#0", 11)]);

        Assert.Equal([$"{A}: the acknowledged operations leave it p0.t0#0 since 10, but the store holds free."], verdict.Violations);
    }

    [Fact]
    public void Check_AStoredAddressNoTakeExplains_IsReported()
    {
        var verdict = LoadHistory.Check([Take(A, "p0.t0#0", 10)], [Held(A, "p0.t0#0", 10), Held(B, "stranger", 9)]);

        Assert.Equal([$"{B} is held by stranger since 9, which no take explains."], verdict.Violations);
    }

    [Fact]
    public void Check_AValueOrRevisionOtherThanTheTakes_IsReported()
    {
        Assert.NotEmpty(LoadHistory.Check([Take(A, "p0.t0#0", 10)], [Held(A, "p0.t0#1", 10)]).Violations);
        Assert.NotEmpty(LoadHistory.Check([Take(A, "p0.t0#0", 10)], [Held(A, "p0.t0#0", 14)]).Violations);
    }

    [Fact]
    public void Check_AReleaseOfATakeThatDoesNotHold_IsReported()
    {
        var verdict = LoadHistory.Check(
            [Take(A, "p0.t0#0", 10), Release(A, "p0.t0#0", 11, 10), Release(A, "p0.t0#0", 12, 10)],
            []);

        Assert.Contains(verdict.Violations, v => v.Contains("but the holder then was free", StringComparison.Ordinal));
    }

    [Fact]
    public void Check_TwoCommitsAtOneRevision_IsReported()
    {
        var verdict = LoadHistory.Check([Take(A, "p0.t0#0", 10), Take(B, "p1.t0#0", 10)], [Held(A, "p0.t0#0", 10), Held(B, "p1.t0#0", 10)]);

        Assert.Contains(verdict.Violations, v => v.StartsWith("Two commits were acknowledged at revision 10", StringComparison.Ordinal));
    }

    [Fact]
    public void Check_AReleaseThatConflicted_IsReported()
    {
        var verdict = LoadHistory.Check(
            [Take(A, "p0.t0#0", 10), new LoadEvent(LoadEventKind.ReleaseConflict, A, "p0.t0#0", 11, 10)],
            [Held(A, "p0.t0#0", 10)]);

        Assert.Single(verdict.Violations);
    }

    [Fact]
    public void Check_AnUnknownTake_IsAppliedExactlyWhenTheStoreHoldsItsValue()
    {
        var applied = LoadHistory.Check([new LoadEvent(LoadEventKind.UnknownTake, A, "p0.t0#0", 0, 0)], [Held(A, "p0.t0#0", 10)]);
        var notApplied = LoadHistory.Check([new LoadEvent(LoadEventKind.UnknownTake, A, "p0.t0#0", 0, 0)], []);
        // Applied, it holds the address: a later take by another is a second holder.
        var thenTakenAgain = LoadHistory.Check(
            [new LoadEvent(LoadEventKind.UnknownTake, A, "p0.t0#0", 0, 0), Take(A, "p1.t0#0", 12)],
            [Held(A, "p0.t0#0", 10)]);

        Assert.Empty(applied.Violations);
        Assert.Equal(1, applied.UnknownTakesApplied);
        Assert.Empty(notApplied.Violations);
        Assert.Equal(0, notApplied.UnknownTakesApplied);
        Assert.NotEmpty(thenTakenAgain.Violations);
    }

    [Fact]
    public void Check_AnUnknownRelease_IsAppliedExactlyWhenTheStoreNoLongerHoldsItsTake()
    {
        var take = Take(A, "p0.t0#0", 10);
        var release = new LoadEvent(LoadEventKind.UnknownRelease, A, "p0.t0#0", 0, 10);

        var applied = LoadHistory.Check([take, release, Take(A, "p1.t0#0", 12)], [Held(A, "p1.t0#0", 12)]);
        var notApplied = LoadHistory.Check([take, release], [Held(A, "p0.t0#0", 10)]);

        Assert.Empty(applied.Violations);
        Assert.Equal(1, applied.UnknownReleasesApplied);
        Assert.Empty(notApplied.Violations);
        Assert.Equal(0, notApplied.UnknownReleasesApplied);
    }
}
