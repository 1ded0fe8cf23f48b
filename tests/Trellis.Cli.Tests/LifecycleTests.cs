using System.Net;
using Trellis.Cli.Tests.Infrastructure;

namespace Trellis.Cli.Tests;

/// <summary>Day-2 operations through the CLI on the worked example: scale, upgrade, delete, and refused immutable changes.</summary>
public sealed class LifecycleTests
{
    private const string NodePool = "net/mgmtvnet/nodes";

    [Fact]
    public async Task Scaling_down_releases_node_addresses_and_scaling_up_reuses_the_lowest_free()
    {
        using var ws = new Workspace();
        await Apply(ws, Specs.WorkedExample);
        var full = await ws.Allocations();

        await Ok(ws.Run("scale", "--cluster", "a", "--nodepool", "linuxpool", "--count", "3"));
        var down = await ws.Allocations();
        Alloc.AssertUnique(down);
        var released = Except(full, down);
        Assert.Empty(Except(down, full));
        var releasedNodes = released.Where(a => a.Pool == NodePool).ToList();
        Assert.Equal(2, releasedNodes.Count);
        Assert.Equal(["cluster/a/node/linuxpool-4", "cluster/a/node/linuxpool-5"], releasedNodes.Select(a => a.Owner).Order(StringComparer.Ordinal));
        Assert.Equal(full.Count(a => a.Pool == NodePool) - 2, down.Count(a => a.Pool == NodePool));

        await Ok(ws.Run("scale", "--cluster", "a", "--nodepool", "linuxpool", "--count", "4"));
        var up = await ws.Allocations();
        Alloc.AssertUnique(up);
        Assert.Empty(Except(down, up));
        var newNode = Assert.Single(Except(up, down), a => a.Pool == NodePool);
        Assert.Equal("cluster/a/node/linuxpool-4", newNode.Owner);
        var lowestFree = releasedNodes.Select(a => IPAddress.Parse(a.Address)).OrderBy(Key).First();
        Assert.Equal(lowestFree, IPAddress.Parse(newNode.Address));

        // Deterministic: back at the original size, the allocations are the original ones.
        await Ok(ws.Run("scale", "--cluster", "a", "--nodepool", "linuxpool", "--count", "5"));
        Assert.Equal(Alloc.Canonical(full), Alloc.Canonical(await ws.Allocations()));
    }

    [Fact]
    public async Task Upgrade_runs_on_the_update_reserve_and_gives_it_back()
    {
        using var ws = new Workspace();
        await Apply(ws, Specs.WorkedExample);
        var before = await ws.Allocations();

        var upgrade = await Ok(ws.Run("upgrade", "--cluster", "b", "--version", "v1.30.0", "-o", "json"));
        var doc = Json.Parse(upgrade);
        Assert.True(doc.GetProperty("applied").GetBoolean());
        Assert.NotEqual(0, doc.GetProperty("upgradeSteps").GetArrayLength());

        var clusters = Json.Parse(await Ok(ws.Run("get", "clusters", "-o", "json"))).EnumerateArray()
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => c);
        Assert.Equal("v1.30.0", clusters["b"].GetProperty("kubernetesVersion").GetString());
        Assert.Equal("v1.29.4", clusters["a"].GetProperty("kubernetesVersion").GetString());
        Assert.False(clusters["b"].TryGetProperty("upgradeTarget", out _));

        var after = await ws.Allocations();
        Alloc.AssertUnique(after);
        Assert.Equal(before.Count(a => a.Pool == NodePool), after.Count(a => a.Pool == NodePool));
        Assert.Equal(Owners(before, NodePool), Owners(after, NodePool));
        Assert.DoesNotContain(after, a => a.Owner.Contains("surge", StringComparison.Ordinal));
        Assert.Equal(5, after.Count(a => a.Owner.StartsWith("cluster/b/upgrade-reserve-", StringComparison.Ordinal)));
        Assert.Equal(Alloc.Canonical(before.Where(a => a.Pool != NodePool)), Alloc.Canonical(after.Where(a => a.Pool != NodePool)));

        // The same version again is no change at all.
        await Ok(ws.Run("upgrade", "--cluster", "b", "--version", "v1.30.0"));
        Assert.Equal(Alloc.Canonical(after), Alloc.Canonical(await ws.Allocations()));
    }

    [Fact]
    public async Task Deleting_a_cluster_releases_all_of_its_allocations_and_nothing_else()
    {
        using var ws = new Workspace();
        await Apply(ws, Specs.WorkedExample);
        var before = await ws.Allocations();
        var ofB = Alloc.ListFrom(await Ok(ws.Run("get", "allocations", "--cluster", "b", "-o", "json")));
        Assert.NotEmpty(ofB);

        var delete = Json.Parse(await Ok(ws.Run("delete", "cluster", "b", "--yes", "-o", "json")));
        Assert.Equal(ofB.Count, delete.GetProperty("removed").GetArrayLength());

        var after = await ws.Allocations();
        Assert.DoesNotContain(after, a => a.Pool.StartsWith("cluster/b/", StringComparison.Ordinal)
            || a.Owner.StartsWith("cluster/b/", StringComparison.Ordinal) || a.Owner.StartsWith("service/b/", StringComparison.Ordinal) || a.Owner.StartsWith("node/b/", StringComparison.Ordinal));
        Assert.Equal(Alloc.Canonical(ofB), Alloc.Canonical(Except(before, after)));
        Assert.Empty(Except(after, before));
        var clusters = Json.Parse(await Ok(ws.Run("get", "clusters", "-o", "json")));
        Assert.Equal(["a"], clusters.EnumerateArray().Select(c => c.GetProperty("name").GetString()));
    }

    public static TheoryData<string, string, string> ImmutableChanges() => new()
    {
        { "    - name: a\n      controlPlaneNodeCount: 3\n", "    - name: a\n      primaryNetworkPlugin: flannel\n      controlPlaneNodeCount: 3\n", "spec.clusters[0].primaryNetworkPlugin" },
        { "    - name: a\n      controlPlaneNodeCount: 3\n", "    - name: a\n      podCidr: 10.250.0.0/16\n      controlPlaneNodeCount: 3\n", "spec.clusters[0].podCidr" },
        { "    - name: b\n      controlPlaneNodeCount: 1\n", "    - name: b\n      serviceCidr: 10.112.0.0/12\n      controlPlaneNodeCount: 1\n", "spec.clusters[1].serviceCidr" },
    };

    [Theory]
    [MemberData(nameof(ImmutableChanges))]
    public async Task An_immutable_change_exits_1_with_ImmutableField_and_changes_nothing(string find, string replace, string path)
    {
        using var ws = new Workspace();
        await Apply(ws, Specs.WorkedExample);
        var before = await ws.Allocations();
        var clustersBefore = (await Ok(ws.Run("get", "clusters", "-o", "json"))).Stdout;

        var file = ws.WriteText("changed.yaml", Specs.Edit(Specs.Read(Specs.WorkedExample), find, replace));
        var r = await ws.Run("apply", "-f", file, "-o", "json");
        Assert.True(r.ExitCode == 1, r.ToString());
        var doc = Json.Parse(r);
        Assert.False(doc.GetProperty("applied").GetBoolean());
        Assert.Contains(("ImmutableField", path), Json.CodesAndPaths(doc));
        EndToEndTests.AssertWellFormedFindings(doc, r);

        Assert.Equal(Alloc.Canonical(before), Alloc.Canonical(await ws.Allocations()));
        Assert.Equal(clustersBefore, (await Ok(ws.Run("get", "clusters", "-o", "json"))).Stdout);
    }

    [Fact]
    public async Task Deleting_the_site_empties_the_state_and_the_site_can_be_applied_again()
    {
        using var ws = new Workspace();
        await Apply(ws, Specs.WorkedExample);
        var first = await ws.Allocations();

        var delete = Json.Parse(await Ok(ws.Run("delete", "site", "jane", "--yes", "-o", "json")));
        Assert.Equal(first.Count, delete.GetProperty("removed").GetArrayLength());
        foreach (var resource in new[] { "allocations", "clusters" })
        {
            var get = await ws.Run("get", resource, "-o", "json");
            Assert.True(get.ExitCode == 1, get.ToString());
            Assert.Contains("NoSite", Json.Codes(Json.Parse(get)));
        }

        await Apply(ws, Specs.WorkedExample);
        Assert.Equal(Alloc.Canonical(first), Alloc.Canonical(await ws.Allocations()));
    }

    private static async Task Apply(Workspace ws, string spec) => await Ok(ws.Run("apply", "-f", spec));

    private static async Task<CliResult> Ok(Task<CliResult> run)
    {
        var r = await run;
        Assert.True(r.ExitCode == 0, r.ToString());
        return r;
    }

    private static List<Alloc> Except(IEnumerable<Alloc> a, IEnumerable<Alloc> b) => a.Except(b).ToList();

    private static List<string> Owners(IEnumerable<Alloc> allocations, string pool) =>
        allocations.Where(a => a.Pool == pool).Select(a => a.Owner).Order(StringComparer.Ordinal).ToList();

    private static string Key(IPAddress address) => Convert.ToHexString(address.GetAddressBytes());
}
