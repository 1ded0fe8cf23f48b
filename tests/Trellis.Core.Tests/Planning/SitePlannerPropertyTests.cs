using System.Net;
using CsCheck;
using Trellis.Core.Ipam;
using Trellis.Core.Model;
using Trellis.Core.Planning;
using Trellis.Core.Validation;
using static Trellis.Core.Tests.SpecEdits;

namespace Trellis.Core.Tests.Planning;

/// <summary>
/// Invariants of the planner over random valid sites: the examples with their node pools scaled and their services
/// replaced, within the capacity of their pools.
/// </summary>
public class SitePlannerPropertyTests
{
    private static readonly DateTimeOffset Now = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Which example, and the knobs that stay fixed between two variants of it (so that only counts and services change).</summary>
    private sealed record Topology(string Example, bool ArcAutomaticControlPlaneIp);

    /// <summary>The counts and services of one variant.</summary>
    private sealed record Scale(int[] Counts, (int Services, int[] Keys)[] Services);

    private static readonly Gen<Topology> Topologies =
        Gen.Select(Gen.OneOfConst("contoso", "dhcp", "arc"), Gen.Bool, (example, auto) => new Topology(example, auto));

    private static Gen<Scale> Scales(Topology t)
    {
        // Bounds keep every pool big enough: contoso mgmtvnet 80 / prodvnet 346, the DHCP scope 201, the AKS Arc IP pool 20.
        var counts = t.Example switch
        {
            "contoso" => Gen.Select(Gen.Int[0, 20], Gen.Int[0, 20], Gen.Int[0, 20], Gen.Int[0, 20], Gen.Int[0, 20], (a, b, c, d, e) => new[] { a, b, c, d, e }),
            "dhcp" => Gen.Select(Gen.Int[0, 120], Gen.Int[0, 60], (a, b) => new[] { a, b }),
            _ => Gen.Select(Gen.Int[1, 8], Gen.Int[1, 5], (a, b) => new[] { a, b }),
        };
        var clusters = t.Example switch { "contoso" => 3, "dhcp" => 1, _ => 2 };
        var maxServices = t.Example == "arc" ? 0 : 6;
        var services = Gen.Select(Gen.Int[0, maxServices], Gen.Int[0, 2].Array[6]).Array[clusters];
        return Gen.Select(counts, services, (c, s) => new Scale(c, s));
    }

    private static readonly Gen<(Topology, Scale)> Sites = Topologies.SelectMany(t => Scales(t).Select(s => (t, s)));

    private static readonly Gen<(Topology, Scale, Scale)> SitePairs = Topologies.SelectMany(t => Gen.Select(Scales(t), Scales(t)).Select(p => (t, p.Item1, p.Item2)));

    /// <summary>Services named per cluster, one distinct port each, so that any sharedIpKey grouping is valid.</summary>
    private static List<ServiceSpec> Services(string ns, (int Count, int[] Keys) s) =>
        Enumerable.Range(0, s.Count).Select(i => new ServiceSpec
        {
            Namespace = ns,
            Name = $"svc{i}",
            Ports = [1000 + i],
            SharedIpKey = s.Keys[i] == 0 ? null : $"k{s.Keys[i]}",
        }).ToList();

    private static SiteSpec Build(Topology t, Scale s) => t.Example switch
    {
        "contoso" => Contoso
            .NodePool(0, 0, p => p with { Count = s.Counts[0] }).NodePool(0, 1, p => p with { Count = s.Counts[1] })
            .NodePool(1, 0, p => p with { Count = s.Counts[2] })
            .NodePool(2, 0, p => p with { Count = s.Counts[3] }).NodePool(2, 1, p => p with { Count = s.Counts[4] })
            .Cluster(0, c => c with { Services = Services("shop", s.Services[0]) })
            .Cluster(1, c => c with { Services = Services("bi", s.Services[1]) })
            .Cluster(2, c => c with { Services = Services("iis", s.Services[2]) }),
        "dhcp" => Dhcp
            .NodePool(0, 0, p => p with { Count = s.Counts[0] }).NodePool(0, 1, p => p with { Count = s.Counts[1] })
            .Cluster(0, c => c with { Services = Services("pos", s.Services[0]) }),
        _ => Arc
            .NodePool(0, 0, p => p with { Count = s.Counts[0] }).NodePool(1, 0, p => p with { Count = s.Counts[1] })
            .Cluster(1, c => t.ArcAutomaticControlPlaneIp ? c with { ControlPlaneIp = null } : c),
    };

    private static ResolvedSite Resolve(SiteSpec spec)
    {
        var result = SiteValidator.Validate(spec);
        Assert.True(result.IsValid, string.Join("\n", result.Findings));
        return result.Site!;
    }

    /// <summary>No (pool, address) twice, no owner twice, every address inside its pool and off its blocked numbers, every claim served.</summary>
    private static void AssertSound(ResolvedSite site, AllocationPlan plan)
    {
        Assert.Empty(plan.Findings);
        var pools = SitePlanner.Pools(site).ToDictionary(p => p.Id);
        Assert.Equal(plan.Result.Count, plan.Result.Select(a => (a.Pool, a.Address)).Distinct().Count());
        Assert.Equal(plan.Result.Count, plan.Result.Select(a => (a.Pool, a.Owner)).Distinct().Count());
        foreach (var a in plan.Result)
        {
            var pool = pools[a.Pool];
            Assert.True(pool.TryParse(a.Address, out var n), $"{a.Key} does not parse");
            Assert.Contains(pool.Ranges, r => n >= r.First && n <= r.Last);
            Assert.DoesNotContain(pool.Blocked, b => n >= b.First && n <= b.Last);
            Assert.Equal(a.Address, pool.Format(n));
        }

        var claims = SitePlanner.Claims(site);
        Assert.Equal(claims.Select(c => $"{c.Pool} {c.Owner}").Order(StringComparer.Ordinal), plan.Result.Select(a => $"{a.Pool} {a.Owner}").Order(StringComparer.Ordinal));
        foreach (var claim in claims.Where(c => c.Fixed is not null))
        {
            var held = plan.Result.Single(a => a.Pool == claim.Pool && a.Owner == claim.Owner);
            Assert.Equal(pools[claim.Pool].Format(claim.Fixed!.Value), held.Address);
        }

        foreach (var n in site.Networks.Where(n => n.Dhcp is not null))
        {
            var exclusions = SitePlanner.DhcpExclusions(site, n);
            foreach (var a in plan.Result.Where(a => a.Pool == PoolIds.Dhcp(n.Name)))
            {
                Assert.DoesNotContain(exclusions, e => e.Contains(IPAddress.Parse(a.Address)));
                Assert.Equal(a.Owner is DhcpReservation ? null : Now + n.Dhcp!.LeaseDuration, a.ExpiresAt);
            }
        }

        Assert.All(plan.Result.Where(a => a.Pool is ClusterPool { Kind: ClusterPoolKind.NodePorts }),
            a => Assert.InRange(int.Parse(a.Address, System.Globalization.CultureInfo.InvariantCulture), SitePlanner.NodePortFirst, SitePlanner.NodePortLast));
    }

    [Fact]
    public void Plan_OfAnyValidSite_IsSound()
    {
        Sites.Sample((t, s) =>
        {
            var site = Resolve(Build(t, s));
            var plan = SitePlanner.Plan(site, [], Now);

            AssertSound(site, plan);
            Assert.Empty(plan.Removed);
        }, iter: 150);
    }

    [Fact]
    public void Plan_WithItsOwnResultAsCurrentState_IsEmpty()
    {
        Sites.Sample((t, s) =>
        {
            var site = Resolve(Build(t, s));
            var first = SitePlanner.Plan(site, [], Now);

            var again = SitePlanner.Plan(site, first.Result, Now.AddHours(1));

            Assert.True(again.IsEmpty, $"added {again.Added.Count}, removed {again.Removed.Count}");
            Assert.Empty(again.Findings);
            Assert.Equal(first.Result, again.Result);
        }, iter: 150);
    }

    [Fact]
    public void Rescaling_KeepsTheAddressesOfEveryOwnerThatStays_AndScalingBackRestoresThem()
    {
        SitePairs.Sample((t, before, after) =>
        {
            var site1 = Resolve(Build(t, before));
            var site2 = Resolve(Build(t, after));
            var plan1 = SitePlanner.Plan(site1, [], Now);

            var plan2 = SitePlanner.Plan(site2, plan1.Result, Now);
            AssertSound(site2, plan2);
            var held1 = plan1.Result.ToDictionary(a => (a.Pool, a.Owner), a => a.Address);
            foreach (var a in plan2.Result.Where(a => held1.ContainsKey((a.Pool, a.Owner))))
            {
                Assert.Equal(held1[(a.Pool, a.Owner)], a.Address);
            }

            // A removed owner is gone, unless only its record was rewritten (same address, new detail).
            Assert.All(plan2.Removed, r => Assert.DoesNotContain(plan2.Result, a => a.Pool == r.Pool && a.Owner == r.Owner && (a.Address != r.Address || a.Detail == r.Detail)));

            var plan3 = SitePlanner.Plan(site1, plan2.Result, Now);
            AssertSound(site1, plan3);
            var held2 = plan2.Result.ToDictionary(a => (a.Pool, a.Owner), a => a.Address);
            foreach (var a in plan3.Result.Where(a => held2.ContainsKey((a.Pool, a.Owner))))
            {
                Assert.Equal(held2[(a.Pool, a.Owner)], a.Address);
            }
        }, iter: 150);
    }

    [Fact]
    public void RemovingACluster_ReleasesAllItsAllocations_AndTouchesNoOther()
    {
        Gen.Select(Sites, Gen.Int[0, 2]).Sample((site, pick) =>
        {
            var (t, s) = site;
            var spec = Build(t, s);
            var index = pick % spec.Clusters.Count;
            var name = spec.Clusters[index].Name;
            var plan1 = SitePlanner.Plan(Resolve(spec), [], Now);

            var without = Resolve(spec with { Clusters = spec.Clusters.Where((_, i) => i != index).ToList() });
            var plan2 = SitePlanner.Plan(without, plan1.Result, Now);

            bool OfCluster(Allocation a) => a.Owner.Cluster == name || a.Pool is ClusterPool p && p.Cluster == name;

            Assert.Empty(plan2.Findings);
            Assert.Empty(plan2.Added);
            Assert.Equal(plan1.Result.Where(OfCluster).OrderBy(a => a.Key, StringComparer.Ordinal), plan2.Removed.OrderBy(a => a.Key, StringComparer.Ordinal));
            Assert.Equal(plan1.Result.Where(a => !OfCluster(a)), plan2.Result);
        }, iter: 100);
    }

    [Fact]
    public void ValidationAndPlanning_AgreeOnWhetherASiteFits()
    {
        // Around the worked example's exact fit: the documented formula decides; what validates plans soundly.
        var sizes = Gen.Select(Gen.Int[40, 52], Gen.Int[152, 158], Gen.Int[0, 12], Gen.Int[0, 6], Gen.Int[0, 2].Array[6]);
        sizes.Sample((nodeEnd, vipEnd, workers, services, keys) =>
        {
            var spec = Worked.Host(n => n with { K8sNodeIpPoolEnd = $"172.16.0.{nodeEnd}", VipPoolEnd = $"172.16.0.{vipEnd}" })
                .NodePool(1, 0, p => p with { Count = workers })
                .Cluster(1, c => c with { Services = Services("shop", (services, keys)) });
            var serviceVips = keys.Take(services).Count(k => k == 0) + keys.Take(services).Where(k => k != 0).Distinct().Count();
            var nodesFit = 3 + 14 + (1 + workers + 1 + 5) <= nodeEnd - 20 + 1;
            var vipsFit = 4 + 1 + serviceVips <= vipEnd - 150 + 1;

            var result = SiteValidator.Validate(spec);

            Assert.Equal(nodesFit && vipsFit, result.IsValid);
            Assert.Equal(!nodesFit, result.Findings.Any(f => f.Code == "NodeIpPoolTooSmall"));
            Assert.Equal(!vipsFit, result.Findings.Any(f => f.Code == "VipPoolTooSmall"));
            if (result.Site is { } site)
            {
                AssertSound(site, SitePlanner.Plan(site, [], Now));
            }
        }, iter: 200);
    }
}
