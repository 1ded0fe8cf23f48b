using Trellis.Cli.Tests.Infrastructure;

namespace Trellis.Cli.Tests;

/// <summary>Issue 9 item 3: a delete names what it destroys, asks on a terminal, and never deletes another site than the one named.</summary>
public sealed class DeleteConfirmationTests
{
    private static async Task<Workspace> Applied()
    {
        var ws = new Workspace();
        var r = await ws.RunIn("apply", "-f", Specs.WorkedExample);
        Assert.True(r.ExitCode == 0, r.ToString());
        return ws;
    }

    private static CliHost Terminal(params string[] answers)
    {
        var queue = new Queue<string>(answers);
        return CliInProcess.Host with { InputIsTerminal = () => true, ReadLine = () => queue.TryDequeue(out var a) ? a : null };
    }

    [Fact]
    public async Task DeleteSite_NamingAnotherSite_IsSiteMismatchAndDeletesNothing()
    {
        using var ws = await Applied();
        var before = await ws.Allocations();

        var r = await ws.RunIn("delete", "site", "contoso", "--yes", "-o", "json");

        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("SiteMismatch", Json.Codes(Json.Parse(r)));
        Assert.Equal(Alloc.Canonical(before), Alloc.Canonical(await ws.Allocations()));
    }

    [Fact]
    public async Task DeleteSite_WithoutAName_IsAUsageError()
    {
        using var ws = await Applied();
        var r = await ws.RunIn("delete", "site", "--yes");
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.NotEmpty(await ws.Allocations());
    }

    [Theory]
    [InlineData("site", "jane")]
    [InlineData("cluster", "b")]
    [InlineData("nodepool", "a/linuxpool")]
    public async Task Delete_WithoutYes_WhenStandardInputIsNotATerminal_IsRefusedAndDeletesNothing(string kind, string name)
    {
        using var ws = await Applied();
        var before = await ws.Allocations();

        var r = await ws.RunIn("delete", kind, name);

        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("--yes", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("nothing was deleted", r.Stderr, StringComparison.Ordinal);
        Assert.Equal(Alloc.Canonical(before), Alloc.Canonical(await ws.Allocations()));
    }

    [Fact]
    public async Task DeleteSite_OnATerminal_NamesWhatIsDestroyed_AndDeletesOnlyAfterYes()
    {
        using var ws = await Applied();
        var before = await ws.Allocations();

        var declined = await ws.RunIn(Terminal("no"), "delete", "site", "jane");
        Assert.True(declined.ExitCode == 1, declined.ToString());
        Assert.Contains("2 clusters (a, b)", declined.Stderr, StringComparison.Ordinal);
        Assert.Contains($"releases {before.Count} allocated addresses", declined.Stderr, StringComparison.Ordinal);
        Assert.Contains("Type 'yes'", declined.Stderr, StringComparison.Ordinal);
        Assert.Equal(Alloc.Canonical(before), Alloc.Canonical(await ws.Allocations()));

        var confirmed = await ws.RunIn(Terminal("yes"), "delete", "site", "jane", "-o", "json");
        Assert.True(confirmed.ExitCode == 0, confirmed.ToString());
        Assert.Equal(before.Count, Json.Parse(confirmed).GetProperty("removed").GetArrayLength());
        var get = await ws.RunIn("get", "allocations", "-o", "json");
        Assert.Contains("NoSite", Json.Codes(Json.Parse(get)));
    }

    [Fact]
    public async Task DeleteCluster_OnATerminal_Asks_AndYesSkipsTheQuestion()
    {
        using var ws = await Applied();
        var ofB = Alloc.ListFrom(await ws.RunIn("get", "allocations", "--cluster", "b", "-o", "json"));

        var asked = await ws.RunIn(Terminal(""), "delete", "cluster", "b");
        Assert.True(asked.ExitCode == 1, asked.ToString());
        Assert.Contains("1 cluster (b)", asked.Stderr, StringComparison.Ordinal);
        Assert.Contains($"releases {ofB.Count} allocated addresses", asked.Stderr, StringComparison.Ordinal);

        var scripted = await ws.RunIn("delete", "cluster", "b", "--yes", "-o", "json");
        Assert.True(scripted.ExitCode == 0, scripted.ToString());
        Assert.Equal(ofB.Count, Json.Parse(scripted).GetProperty("removed").GetArrayLength());
    }

    [Fact]
    public async Task Delete_DryRun_NeverAsks_AndDeletesNothing()
    {
        using var ws = await Applied();
        var before = await ws.Allocations();

        var r = await ws.RunIn("delete", "site", "jane", "--dry-run", "-o", "json");

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.True(Json.Parse(r).GetProperty("dryRun").GetBoolean());
        Assert.Equal(Alloc.Canonical(before), Alloc.Canonical(await ws.Allocations()));
    }
    public static TheoryData<string, string, string> Deletions() => new()
    {
        { "cluster", "b", "1 cluster (b), 1 nodepool (b/linuxpool)" },
        { "nodepool", "a/linuxpool", "1 nodepool (a/linuxpool)" },
        { "service", "a/shop/web2", "1 service (a/shop/web2)" },
    };

    /// <summary>The delete's plan as --dry-run shows it: the allocations it releases, in get allocations' form.</summary>
    private static async Task<IReadOnlyList<Alloc>> Releases(Workspace ws, string kind, string name)
    {
        var dry = await ws.RunIn("delete", kind, name, "--dry-run", "-o", "json");
        Assert.True(dry.ExitCode == 0, dry.ToString());
        var removed = Json.Parse(dry).GetProperty("removed");
        Assert.True(removed.GetArrayLength() > 0, dry.ToString());
        return [.. removed.EnumerateArray().Select(a => new Alloc(a.GetProperty("pool").GetString()!, a.GetProperty("address").GetString()!, a.GetProperty("owner").GetString()!,
            a.TryGetProperty("detail", out var d) ? d.GetString() : null, a.TryGetProperty("expiresAt", out var e) ? e.ToString() : null))];
    }

    [Theory]
    [MemberData(nameof(Deletions))]
    public async Task Delete_Confirmed_ReleasesExactlyWhatThePromptNamed(string kind, string name, string named)
    {
        using var ws = await Applied();
        var before = await ws.Allocations();
        var releases = await Releases(ws, kind, name);

        var r = await ws.RunIn(Terminal("yes"), "delete", kind, name, "-o", "json");

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains(named, r.Stderr, StringComparison.Ordinal);
        Assert.Contains($"releases {releases.Count} allocated address", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("Type 'yes'", r.Stderr, StringComparison.Ordinal);
        Assert.Equal(Alloc.Canonical(before.Except(releases)), Alloc.Canonical(await ws.Allocations()));
    }

    [Theory]
    [MemberData(nameof(Deletions))]
    public async Task Delete_Declined_NamesWhatWouldBeDestroyed_AndChangesNothing(string kind, string name, string named)
    {
        using var ws = await Applied();
        var before = await ws.Allocations();
        var audit = (await ws.RunIn("get", "audit", "-o", "json")).Stdout;

        var r = await ws.RunIn(Terminal("n"), "delete", kind, name);

        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains(named, r.Stderr, StringComparison.Ordinal);
        Assert.Contains("This cannot be undone", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("nothing was deleted", r.Stderr, StringComparison.Ordinal);
        Assert.Equal(Alloc.Canonical(before), Alloc.Canonical(await ws.Allocations()));
        Assert.Equal(audit, (await ws.RunIn("get", "audit", "-o", "json")).Stdout);
    }

    /// <summary>
    /// The question names one plan; when another writer changes the site while it is asked, "yes" confirms a plan that no
    /// longer holds: nothing is deleted, the answer says the state changed, and the other writer's change stays.
    /// </summary>
    [Theory]
    [MemberData(nameof(Deletions))]
    public async Task Delete_ConfirmedAfterTheStateMoved_IsStateChanged_AndDeletesNothing(string kind, string name, string named)
    {
        using var ws = await Applied();
        CliResult? interloper = null;
        IReadOnlyList<Alloc>? moved = null;
        var host = CliInProcess.Host with
        {
            InputIsTerminal = () => true,
            ReadLine = () =>
            {
                interloper = ws.RunIn("scale", "--cluster", "b", "--nodepool", "linuxpool", "--count", "2").GetAwaiter().GetResult();
                moved = ws.Allocations().GetAwaiter().GetResult();
                return "yes";
            },
        };
        var before = await ws.Allocations();

        var r = await ws.RunIn(host, "delete", kind, name, "-o", "json");

        Assert.True(interloper is { ExitCode: 0 }, interloper?.ToString() ?? "the question was never asked");
        Assert.Contains(named, r.Stderr, StringComparison.Ordinal);
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("StateChanged", Json.Codes(Json.Parse(r)));
        Assert.NotEqual(Alloc.Canonical(before), Alloc.Canonical(moved!));
        Assert.Equal(Alloc.Canonical(moved!), Alloc.Canonical(await ws.Allocations()));
    }
}
