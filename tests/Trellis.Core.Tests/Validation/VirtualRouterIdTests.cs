using Trellis.Core.Ipam;
using Trellis.Core.Model;
using Trellis.Core.Planning;
using Trellis.Core.Validation;

namespace Trellis.Core.Tests.Validation;

public class VirtualRouterIdTests
{
    private static readonly SiteSpec Contoso = SpecEdits.Contoso;

    private static IReadOnlyList<Trellis.Core.Ipam.Allocation> Plan(SiteSpec spec) =>
        SitePlanner.Plan(ExampleSites.Resolve(spec), [], DateTimeOffset.UnixEpoch).Result;

    [Fact]
    public void Plan_GivesEachHaProxyClusterOfASegmentItsOwnId()
    {
        var allocations = Plan(Contoso);

        var ids = allocations.Where(a => a.Owner is VirtualRouter).ToList();
        Assert.Equal(["cluster/analytics/vrrp", "cluster/payments/vrrp"], ids.Select(a => a.Owner.ToString()).Order(StringComparer.Ordinal));
        Assert.All(ids, a => Assert.Equal("l2/External/17/vrrp", a.Pool.ToString()));
        Assert.Equal(2, ids.Select(a => a.Address).Distinct().Count());
        Assert.DoesNotContain(allocations, a => a.Owner.ToString() == "cluster/legacy/vrrp");
    }

    [Fact]
    public void Plan_HonoursAPinnedId_AndOtherSegmentsReuseNumbers()
    {
        var spec = Contoso.Cluster(1, c => c with { VirtualRouterId = 1 });

        var allocations = Plan(spec);

        Assert.Equal("1", allocations.Single(a => a.Owner.ToString() == "cluster/analytics/vrrp").Address);
        Assert.Equal("100", allocations.Single(a => a.Owner.ToString() == "cluster/payments/vrrp").Address);
        Assert.Equal("100", Plan(SpecEdits.Worked).Single(a => a.Owner.ToString() == "cluster/a/vrrp").Address);
        Assert.Equal("101", Plan(SpecEdits.Worked).Single(a => a.Owner.ToString() == "cluster/b/vrrp").Address);
    }

    [Fact]
    public void Plan_VirtualRouterIds_StartAtADefaultBaseAbove50_AwayFromRoutersAndKeepalivedsSample()
    {
        var ids = Plan(Contoso).Where(a => a.Owner is VirtualRouter).Select(a => int.Parse(a.Address, System.Globalization.CultureInfo.InvariantCulture)).ToList();

        Assert.Equal(100, SiteSpecDefaults.VirtualRouterIdBase);
        Assert.Equal([100, 101], ids.Order());
        Assert.All(ids, id => Assert.True(id > 51));
    }

    [Fact]
    public void Plan_VirtualRouterIds_StartAtTheConfiguredBase()
    {
        var spec = Contoso with { Settings = Contoso.Settings with { VirtualRouterIdBase = 60 } };

        var ids = Plan(spec).Where(a => a.Owner is VirtualRouter).Select(a => a.Address).Order(StringComparer.Ordinal);

        Assert.Equal(["60", "61"], ids);
    }

    [Fact]
    public void Plan_KeepsAnIdHeldBelowTheBase_SoAnUpgradeMovesNoDeployedVrrpInstance()
    {
        var site = ExampleSites.Resolve(Contoso);
        var held = new Trellis.Core.Ipam.Allocation(PoolId.Parse("l2/External/17/vrrp"), "1", Owner.Parse("cluster/payments/vrrp"));

        var plan = SitePlanner.Plan(site, [held], DateTimeOffset.UnixEpoch);

        Assert.Equal("1", plan.Result.Single(a => a.Owner.ToString() == "cluster/payments/vrrp").Address);
        Assert.Equal("100", plan.Result.Single(a => a.Owner.ToString() == "cluster/analytics/vrrp").Address);
    }

    [Fact]
    public void Read_VirtualRouterIdBase_FromSettings_WithinOneTo255()
    {
        const string yaml = """
            apiVersion: trellis/v1
            kind: Site
            metadata: { name: s }
            spec:
              settings: { virtualRouterIdBase: 77 }
            """;

        Assert.Equal(77, SiteSpecReader.Read(yaml).Spec!.Settings.VirtualRouterIdBase);
        Assert.Contains(SiteSpecReader.Read(yaml.Replace("77", "256", StringComparison.Ordinal)).Findings, f => f.Path == "spec.settings.virtualRouterIdBase");
    }

    [Fact]
    public void Validate_RejectsACollisionOnOneSegment()
    {
        var spec = Contoso.Cluster(0, c => c with { VirtualRouterId = 7 }).Cluster(1, c => c with { VirtualRouterId = 7 });
        spec.AssertFinding("VirtualRouterIdCollision", "spec.clusters[1].virtualRouterId");
    }

    [Fact]
    public void Validate_AllowsTheSameIdOnDifferentSegments()
    {
        // payments is on prodvnet (VLAN 17), legacy on the host network (VLAN 7) but has no HAProxy VMs; use the worked example's two clusters instead.
        var spec = Contoso.Cluster(0, c => c with { VirtualRouterId = 7 }).Cluster(1, c => c with { VirtualRouterId = 8 });
        Assert.DoesNotContain(spec.Findings(), f => f.Code == "VirtualRouterIdCollision");
    }

    [Fact]
    public void Validate_RejectsAnIdOutsideTheVrrpRange()
    {
        Contoso.Cluster(0, c => c with { VirtualRouterId = 256 }).AssertFinding("InvalidVirtualRouterId", "spec.clusters[0].virtualRouterId");
        Assert.DoesNotContain(Contoso.Cluster(0, c => c with { VirtualRouterId = 255 }).Findings(), f => f.Code == "InvalidVirtualRouterId");
    }

    [Fact]
    public void Validate_WarnsWhenNoHaProxyVmUsesTheId()
    {
        Contoso.Cluster(2, c => c with { VirtualRouterId = 9 }).AssertFinding("VirtualRouterIdIgnored", "spec.clusters[2].virtualRouterId", Severity.Warning);
    }

    [Fact]
    public void Plan_RewritesADetailThatChanged_KeepingTheAddress()
    {
        var site = ExampleSites.Resolve(SpecEdits.Worked);
        var first = SitePlanner.Plan(site, [], DateTimeOffset.UnixEpoch).Result;
        var shared = first.Single(a => a.Owner.ToString() == "service/a/shared:front");
        var changed = SpecEdits.Worked.Service(0, 3, s => s with { Ports = [8080] });

        var plan = SitePlanner.Plan(ExampleSites.Resolve(changed), first, DateTimeOffset.UnixEpoch);

        var rewritten = Assert.Single(plan.Added, a => a.Owner == shared.Owner);
        Assert.Equal(shared.Address, rewritten.Address);
        Assert.Contains("8080", rewritten.Detail, StringComparison.Ordinal);
        Assert.Contains(shared, plan.Removed);
        Assert.Single(plan.Result, a => a.Owner == shared.Owner);
        Assert.True(SitePlanner.Plan(ExampleSites.Resolve(changed), plan.Result, DateTimeOffset.UnixEpoch).IsEmpty);
    }
}

public class VirtualRouterIdCapacityTests
{
    private static SiteSpec ManyHaProxyClusters(int count, string? sku = null)
    {
        var spec = SpecEdits.Worked with
        {
            HostNetwork = SpecEdits.Worked.HostNetwork! with
            {
                IpAddressPrefix = "172.16.0.0/16",
                K8sNodeIpPoolStart = "172.16.1.0",
                K8sNodeIpPoolEnd = "172.16.20.255",
                VipPoolStart = "172.16.30.0",
                VipPoolEnd = "172.16.33.255",
            },
            CloudServiceCidr = "172.16.0.10/16",
            LoadBalancerSettings = sku is null ? [] : [new LoadBalancerSettingSpec { Name = "byolb", LoadBalancerSku = LoadBalancerSku.None, LoadBalancerCount = 0 }],
        };
        return spec with
        {
            Clusters = Enumerable.Range(0, count).Select(i => new ClusterSpec
            {
                Name = $"c{i}",
                LoadBalancerSettings = sku is null ? null : "byolb",
                NodePools = [new NodePoolSpec { Name = "pool", Count = 1 }],
            }).ToList(),
        };
    }

    [Fact]
    public void Validate_RejectsMoreHaProxyClustersOnOneSegmentThanVrrpHasIds()
    {
        ManyHaProxyClusters(256).AssertFinding("VirtualRouterIdsExhausted", "spec.clusters[255].loadBalancerSettings");
        ManyHaProxyClusters(255).AssertClean("VirtualRouterIdsExhausted");
        ManyHaProxyClusters(300, sku: "none").AssertClean("VirtualRouterIdsExhausted");
    }
}
