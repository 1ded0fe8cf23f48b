using System.Text;
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

        Assert.Contains(victim, damaged.Message, StringComparison.Ordinal);
        Assert.Contains("'no/such/owner'", damaged.Message, StringComparison.Ordinal);
    }
}
