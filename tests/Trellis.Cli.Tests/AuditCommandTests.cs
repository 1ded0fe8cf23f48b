using System.Text.Json;
using Trellis.Cli.Tests.Infrastructure;

namespace Trellis.Cli.Tests;

/// <summary>`trellis get audit`: who changed what, when, at which revision, through the Engine's audit log.</summary>
public sealed class AuditCommandTests
{
    [Fact]
    public async Task GetAudit_ListsEachChange_WithTheUserRevisionAndPlan()
    {
        using var ws = new Workspace();
        Assert.Equal(0, (await ws.RunIn("apply", "-f", Specs.WorkedExample)).ExitCode);
        var scaled = await ws.RunIn("scale", "--cluster", "a", "--nodepool", "linuxpool", "--count", "2");
        Assert.True(scaled.ExitCode == 0, scaled.ToString());

        var r = await ws.RunIn("get", "audit", "-o", "json");

        Assert.True(r.ExitCode == 0, r.ToString());
        var entries = Json.Parse(r).EnumerateArray().ToList();
        Assert.Equal(["apply", "scale"], entries.Select(e => e.GetProperty("command").GetString()));
        Assert.All(entries, e => Assert.Equal(Environment.UserName, e.GetProperty("actor").GetString()));
        Assert.Equal([1L, 2L], entries.Select(e => e.GetProperty("revision").GetInt64()));
        Assert.Equal("1 changed: ~nodepool a/linuxpool", entries[1].GetProperty("summary").GetString());
        Assert.True(entries[1].GetProperty("removed").GetInt32() > 0);

        var table = await ws.RunIn("get", "audit", "--last", "1");
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains("~nodepool a/linuxpool", table.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("+cluster a", table.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetAudit_AfterTheSiteWasDeleted_StillShowsItsHistory()
    {
        using var ws = new Workspace();
        Assert.Equal(0, (await ws.RunIn("apply", "-f", Specs.WorkedExample)).ExitCode);
        var deleted = await ws.RunIn("delete", "site", "jane", "--yes");
        Assert.True(deleted.ExitCode == 0, deleted.ToString());

        var r = await ws.RunIn("get", "audit", "-o", "json");

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(["apply", "delete site"], Json.Parse(r).EnumerateArray().Select(e => e.GetProperty("command").GetString()));
    }

    [Theory]
    [InlineData("audit", "--cluster", "a")]
    [InlineData("audit", "--last", "0")]
    [InlineData("audit", "--last", "-1")]
    [InlineData("audit", "--last", "many")]
    [InlineData("clusters", "--last", "3")]
    public async Task GetAudit_OptionsThatDoNotApply_AreUsageErrors(params string[] args)
    {
        using var ws = new Workspace();
        Assert.Equal(0, (await ws.RunIn("apply", "-f", Specs.WorkedExample)).ExitCode);

        var r = await ws.RunIn(["get", .. args]);

        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains(args[1], r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("internal error", r.Stderr, StringComparison.Ordinal);
    }
}
