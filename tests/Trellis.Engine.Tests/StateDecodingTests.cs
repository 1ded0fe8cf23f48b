using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using Trellis.Core.Ipam;
using Trellis.Core.Model;
using Trellis.Core.Planning;
using Trellis.Storage;

namespace Trellis.Engine.Tests;

/// <summary>Reading a large state: every allocation decoded, in the planner's order, and a damaged one named, whichever part of the state it is in.</summary>
public sealed class StateDecodingTests
{
    /// <summary>Six clusters of 150 workers: some 1,900 allocations.</summary>
    private static SiteSpec LargeSite()
    {
        var yaml = new StringBuilder("""
            apiVersion: trellis/v1
            kind: Site
            metadata: { name: large }
            spec:
              model: AksHci
              hostNetwork:
                name: mgmtvnet
                vswitchName: External
                ipAllocationMethod: Static
                ipAddressPrefix: 10.0.0.0/16
                gateway: 10.0.0.1
                dnsServers: [10.0.0.2]
                k8sNodeIpPoolStart: 10.0.0.10
                k8sNodeIpPoolEnd: 10.0.254.255
                vipPoolStart: 10.0.255.0
                vipPoolEnd: 10.0.255.200
              cloudServiceCidr: 10.0.0.5/16
              clusters:

            """);
        for (var i = 0; i < 6; i++)
        {
            yaml.Append($"""
                    - name: k{i}
                      podCidr: 10.{128 + i}.0.0/16
                      nodePools:
                        - {"{"} name: linux, osType: Linux, count: 150 {"}"}
                      services:
                        - {"{"} namespace: shop, name: web, ports: [443] {"}"}

                """);
        }

        var read = SiteSpecReader.Read(yaml.ToString());
        Assert.True(read.Spec is not null, string.Join("\n", read.Findings));
        return read.Spec!;
    }

    [Fact]
    public async Task ALargeState_ReadsBackEveryAllocation_InThePlannersOrder()
    {
        await using var f = new EngineFixture();
        var applied = await f.Engine.ApplyAsync(LargeSite());
        Assert.True(applied.Applied, string.Join("\n", applied.Findings));

        var state = await f.Engine.ReadAsync();

        Assert.True(state.Allocations.Count > 1_800, $"{state.Allocations.Count} allocations");
        Assert.Equal(applied.Plan!.Result.Count, state.Allocations.Count);
        Assert.Equal(SitePlanner.Ordered(applied.Plan.Result), state.Allocations);
        await AssertListedAsReadAsync(f.Engine);
    }

    /// <summary>
    /// <see cref="TrellisEngine.ReadAllocationsAsync"/>, which reads the allocations in one pass without the rest of the state, lists
    /// exactly what <see cref="SiteViews.Allocations"/> shows of the whole state, in its order: all of them and each cluster's.
    /// </summary>
    internal static async Task AssertListedAsReadAsync(TrellisEngine engine)
    {
        var state = await engine.ReadAsync();
        foreach (var cluster in state.Spec!.Clusters.Select(c => c.Name).Prepend(null))
        {
            var list = await engine.ReadAllocationsAsync(cluster);

            Assert.Empty(list.Findings);
            Assert.Equal(state.Revision, list.Revision);
            var expected = SiteViews.Allocations(state, cluster);
            Assert.True(expected.Count > 0, cluster);
            Assert.Equal(expected, list.Allocations);
        }
    }

    /// <summary>The listing reads only the cluster names of the stored spec, but a spec that is not one still fails it, naming the key.</summary>
    [Theory]
    [InlineData("", "damaged")]
    [InlineData("null", "not a JSON object")]
    [InlineData("""{"name":"x","clusters":{}}""", "not a list")]
    [InlineData("""{"name":"x","clusters":[{"name":"a"},7]}""", "not an object")]
    [InlineData("""{"name":"x","clusters":[{"podCidr":"10.0.0.0/16"}]}""", "no name")]
    [InlineData("""{"name":"x","clusters":[{"name":5}]}""", "not a string")]
    [InlineData("""{"name":"x","other":[1,2""", "damaged")]
    [InlineData("""{"name":"x"} {}""", "damaged")]
    public async Task ListingAllocations_OfASpecThatIsNotOne_IsAStoreErrorNamingIt(string spec, string reason)
    {
        await using var f = new EngineFixture();
        Assert.True((await f.Engine.ApplyAsync(EngineFixture.Example("worked-example.yaml"))).Applied);
        await f.Store.CommitAsync(new StoreTransaction([], [new TxnOperation.Put("site/spec", Encoding.UTF8.GetBytes(spec))]));

        var damaged = await Assert.ThrowsAsync<StoreException>(() => f.Engine.ReadAllocationsAsync("a"));

        Assert.Contains("'site/spec'", damaged.Message, StringComparison.Ordinal);
        Assert.Contains(reason, damaged.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListingAllocations_FindsTheClustersOfASpecWhereverTheyAre_AsTheSerializerReadsThem()
    {
        await using var f = new EngineFixture();
        Assert.True((await f.Engine.ApplyAsync(EngineFixture.Example("worked-example.yaml"))).Applied);
        var stored = (await f.Store.ReadAsync("site/spec")).Items.Single().Value;
        var spec = System.Text.Json.Nodes.JsonNode.Parse(stored)!.AsObject();
        var clusters = spec["clusters"]!.DeepClone();
        spec.Remove("clusters");
        // The clusters last, after nested values that hold a "clusters" and a "name" of their own.
        spec["zzz"] = new System.Text.Json.Nodes.JsonObject { ["clusters"] = new System.Text.Json.Nodes.JsonArray(), ["name"] = "x" };
        spec["clusters"] = clusters;
        await f.Store.CommitAsync(new StoreTransaction([], [new TxnOperation.Put("site/spec", Encoding.UTF8.GetBytes(spec.ToJsonString()))]));

        Assert.Empty((await f.Engine.ReadAllocationsAsync("b")).Findings);
        var unknown = Assert.Single((await f.Engine.ReadAllocationsAsync("c")).Findings);
        Assert.Equal("UnknownCluster", unknown.Code);
        Assert.Equal(SiteViews.CheckCluster(await f.Engine.ReadAsync(), "c"), [unknown]);
    }

    [Fact]
    public async Task ListingAllocations_WithoutASite_OrOfAClusterNotStored_SaysSo()
    {
        await using var f = new EngineFixture();
        Assert.Equal("NoSite", Assert.Single((await f.Engine.ReadAllocationsAsync()).Findings).Code);
        Assert.True((await f.Engine.ApplyAsync(EngineFixture.Example("worked-example.yaml"))).Applied);

        var unknown = await f.Engine.ReadAllocationsAsync("nope");

        Assert.Equal("UnknownCluster", Assert.Single(unknown.Findings).Code);
        Assert.Empty(unknown.Allocations);
        Assert.Equal((await f.Engine.ReadAsync()).Revision, unknown.Revision);
    }

    [Fact]
    public async Task ADamagedAllocation_DeepInALargeState_IsAStoreErrorNamingIt()
    {
        await using var f = new EngineFixture();
        await f.Engine.ApplyAsync(LargeSite());
        var keys = (await f.Store.ReadAsync("alloc/")).Items.Select(i => i.Key).ToList();
        var victim = keys[keys.Count - 7];
        await f.Store.CommitAsync(new StoreTransaction([], [new TxnOperation.Put(victim, Encoding.UTF8.GetBytes("""{"pool":"net/mgmtvnet/nodes","address":"10.0.0.9","owner":"no/such/owner"}"""))]));

        var damaged = await Assert.ThrowsAsync<StoreException>(() => f.Engine.ReadAsync());
        var listed = await Assert.ThrowsAsync<StoreException>(() => f.Engine.ReadAllocationsAsync());

        Assert.Contains(victim, damaged.Message, StringComparison.Ordinal);
        Assert.Contains("'no/such/owner'", damaged.Message, StringComparison.Ordinal);
        Assert.Equal(damaged.Message, listed.Message);
    }

    private static readonly JsonSerializerOptions StoredJson = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    /// <summary>The worked example applied; its stored allocation values by key.</summary>
    private static async Task<(EngineFixture Fixture, IReadOnlyList<Allocation> Allocations, IReadOnlyList<StoredItem> Items)> Applied()
    {
        var f = new EngineFixture();
        Assert.True((await f.Engine.ApplyAsync(EngineFixture.Example("worked-example.yaml"))).Applied);
        return (f, (await f.Engine.ReadAsync()).Allocations, (await f.Store.ReadAsync("alloc/")).Items);
    }

    /// <summary>Every property's name and text spelled with JSON escapes, in reverse order, with unknown properties around them.</summary>
    private static string Respelled(StoredItem item)
    {
        static string Escaped(string s) => string.Concat(s.Select(c => $"\\u{(int)c:x4}"));
        var properties = JsonNode.Parse(item.Value)!.AsObject().Reverse().Select(p =>
            $"\"{Escaped(p.Key)}\" : " + (p.Value is JsonValue v && v.TryGetValue<string>(out var text) ? $"\"{Escaped(text)}\"" : p.Value!.ToJsonString()));
        return "\n { \"future\": { \"nested\": [1, {\"owner\": 2}] }, " + string.Join(" ,\n", properties) + ", \"pool2\": null }\t";
    }

    [Fact]
    public async Task StoredAllocations_ReadTheSame_InAnyOrderOfProperties_WithEscapes_AndWithPropertiesOfALaterVersion()
    {
        var (f, before, items) = await Applied();
        await using var _ = f;

        await f.Store.CommitAsync(new StoreTransaction([], [.. items.Select(i => new TxnOperation.Put(i.Key, Encoding.UTF8.GetBytes(Respelled(i))))]));

        Assert.Equal(before, (await f.Engine.ReadAsync()).Allocations);
        await AssertListedAsReadAsync(f.Engine);
    }

    [Fact]
    public async Task AnyDetailAndExpiry_ReadBackAsStored()
    {
        var (f, before, items) = await Applied();
        await using var _ = f;
        var victims = items.Take(8).ToList();
        var stored = victims.Select(i => JsonSerializer.Deserialize<StoredAllocation>(i.Value, StoredJson)!).ToList();

        await Gen.Select(Gen.String.Null(), Gen.DateTimeOffset.Nullable()).Array[victims.Count].SampleAsync(async changes =>
        {
            var changed = stored.Select((s, i) => s with { Detail = changes[i].Item1, ExpiresAt = changes[i].Item2 }).ToList();
            await f.Store.CommitAsync(new StoreTransaction([], [.. victims.Select((v, i) => new TxnOperation.Put(v.Key, JsonSerializer.SerializeToUtf8Bytes(changed[i], StoredJson)))]));

            var read = (await f.Engine.ReadAsync()).Allocations;
            foreach (var s in changed)
            {
                var a = Assert.Single(read, a => a.Pool.ToString() == s.Pool && a.Address == s.Address);
                Assert.Equal(s.Detail, a.Detail);
                Assert.Equal(s.ExpiresAt, a.ExpiresAt);
            }
        }, iter: 100, threads: 1); // one store: iterations in parallel would overwrite each other's rows
    }

    [Theory]
    [InlineData("""{"address":"10.0.0.9","owner":"management/vm"}""", "no pool")]
    [InlineData("""{"pool":"net/mgmtvnet/nodes","owner":"management/vm"}""", "no address")]
    [InlineData("""{"pool":"net/mgmtvnet/nodes","address":"10.0.0.9"}""", "no owner")]
    [InlineData("""{"pool":"net/mgmtvnet/nodes","address":"10.0.0.9","owner":7}""", "owner")]
    [InlineData("""{"pool":"net/mgmtvnet/nodes","address":"10.0.0.9","owner":"management/vm","expiresAt":"soon"}""", "expiresAt")]
    [InlineData("""{"pool":"net/mgmtvnet/nodes","address":"10.0.0.9","owner":"management/vm"} {}""", "damaged")]
    [InlineData("{\"pool\":\"net/mgmtvnet/nodes\",\"address\":\"10.0.0.9\",\"owner\":\"management/vm", "damaged")]
    [InlineData("""["net/mgmtvnet/nodes"]""", "damaged")]
    [InlineData("""null""", "null")]
    [InlineData("", "damaged")]
    public async Task AStoredAllocation_ThatIsNotWhatTrellisWrites_IsAStoreErrorNamingIt(string value, string reason)
    {
        var (f, _, items) = await Applied();
        await using var __ = f;
        var victim = items[items.Count / 2].Key;
        await f.Store.CommitAsync(new StoreTransaction([], [new TxnOperation.Put(victim, Encoding.UTF8.GetBytes(value))]));

        var damaged = await Assert.ThrowsAsync<StoreException>(() => f.Engine.ReadAsync());
        var listed = await Assert.ThrowsAsync<StoreException>(() => f.Engine.ReadAllocationsAsync("a"));

        Assert.Contains(victim, damaged.Message, StringComparison.Ordinal);
        Assert.Contains(reason, damaged.Message, StringComparison.Ordinal);
        Assert.Equal(damaged.Message, listed.Message);
    }
}
