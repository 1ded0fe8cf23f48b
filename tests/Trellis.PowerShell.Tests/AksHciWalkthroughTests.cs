using Trellis.Engine;
using Trellis.TestSupport;

namespace Trellis.PowerShell.Tests;

/// <summary>
/// The reference's AksHci walkthroughs run as scripts in the module, each held to what the Engine gives for the equivalent
/// YAML spec: the same allocations when the spec is applied to an empty state, and nothing to change when it is applied to
/// the state the script left.
/// </summary>
public sealed class AksHciWalkthroughTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private ModuleHost Host => new(_temp.Path);

    private string State => Path.Combine(_temp.Path, ".trellis", "state.db");

    /// <summary>New-AksHciNetworkSetting's static + VLAN example, with the two values the reference marks as conflicting corrected.</summary>
    internal const string StaticVlan = """
        $vnet = New-AksHciNetworkSetting -name mgmtvnet -vswitchName External -k8sNodeIpPoolStart 172.16.10.1 -k8sNodeIpPoolEnd 172.16.10.255 -vipPoolStart 172.16.255.0 -vipPoolEnd 172.16.255.253 -ipAddressPrefix 172.16.0.0/16 -gateway 172.16.0.1 -dnsServers 172.16.0.1 -vlanID 7
        Set-AksHciConfig -workingDir c:\clusterstorage\volume1\workingDir -cloudConfigLocation c:\clusterstorage\volume1\Config -vnet $vnet -cloudservicecidr "172.16.0.10/16"
        New-AksHciCluster -name mycluster
        """;

    private const string StaticVlanSpec = """
        apiVersion: trellis/v1
        kind: Site
        metadata: { name: mgmtvnet }
        spec:
          hostNetwork: { name: mgmtvnet, vswitchName: External, ipAllocationMethod: Static, ipAddressPrefix: 172.16.0.0/16, gateway: 172.16.0.1,
                         dnsServers: [172.16.0.1], vlanID: 7, k8sNodeIpPoolStart: 172.16.10.1, k8sNodeIpPoolEnd: 172.16.10.255,
                         vipPoolStart: 172.16.255.0, vipPoolEnd: 172.16.255.253 }
          cloudServiceCidr: 172.16.0.10/16
          clusters:
            - name: mycluster
              nodePools:
                - { name: mycluster-linux, osType: Linux, count: 1 }
                - { name: mycluster-windows, osType: Windows, count: 0, maxPodCount: 60 }
        """;

    [Fact]
    public async Task StaticVlan_NetworkSettingThenConfigThenCluster_TakesWhatTheEquivalentSpecTakes()
    {
        var run = Host.Run(StaticVlan).Succeeded();

        var cluster = Assert.Single(run.Objects<AksHciCluster>());
        Assert.Equal(["mycluster-linux", "mycluster-windows"], cluster.NodePools);
        Assert.Equal((1, 0, 1, "calico"), (cluster.LinuxNodeCount, cluster.WindowsNodeCount, cluster.ControlPlaneNodeCount, cluster.PrimaryNetworkPlugin));
        await AssertSameSite(StaticVlanSpec, sameAllocations: true);
    }

    [Fact]
    public async Task TheReferencesOwnStaticExample_IsRefusedWithTheRulesItBreaks_AndWritesNothing()
    {
        var run = Host.Run("""
            $vnet = New-AksHciNetworkSetting -name mgmtvnet -vswitchName External -k8sNodeIpPoolStart 172.16.10.1 -k8sNodeIpPoolEnd 172.16.10.255 -vipPoolStart 172.16.255.0 -vipPoolEnd 172.16.255.254 -ipAddressPrefix 172.16.0.0/16 -gateway 172.16.0.1 -dnsServers 172.16.0.1 -vlanID 7
            Set-AksHciConfig -workingDir c:\clusterstorage\volume1\workingDir -cloudConfigLocation c:\clusterstorage\volume1\Config -vnet $vnet -cloudservicecidr "172.16.10.10/16"
            """);

        Assert.Equal(["CloudAgentInPool", "PoolEdgeAddress"], run.Errors.Select(e => e.FullyQualifiedErrorId.Split(',')[0]).Order(StringComparer.Ordinal));
        Assert.All(run.Errors, e => Assert.StartsWith("spec.", e.TargetObject as string, StringComparison.Ordinal));
        Assert.Equal("NoSite", Host.Run("Get-AksHciConfig").ErrorCode);
    }

    [Fact]
    public async Task Dhcp_WithTheServersScope_TakesWhatTheEquivalentSpecTakes()
    {
        Host.Run("""
            $vnet = New-AksHciNetworkSetting -name branchvnet -vswitchName External -vipPoolStart 10.12.0.200 -vipPoolEnd 10.12.0.239 -vlanID 12 -gateway 10.12.0.1 -dnsServers 10.10.0.53 -DhcpScope @{ subnet = '10.12.0.0/24'; start = '10.12.0.10'; end = '10.12.0.250'; leaseDuration = '8.00:00:00' }
            Set-AksHciConfig -workingDir C:\AksHci -cloudConfigLocation C:\AksHci\Config -vnet $vnet -cloudServiceCidr 10.12.0.5/24 -SiteName branch
            New-AksHciCluster -name edge -nodePoolName linux -nodeCount 3
            """).Succeeded();

        await AssertSameSite("""
            apiVersion: trellis/v1
            kind: Site
            metadata: { name: branch }
            spec:
              hostNetwork:
                name: branchvnet
                vswitchName: External
                ipAllocationMethod: Dhcp
                vlanID: 12
                gateway: 10.12.0.1
                dnsServers: [10.10.0.53]
                vipPoolStart: 10.12.0.200
                vipPoolEnd: 10.12.0.239
                dhcpScope: { subnet: 10.12.0.0/24, start: 10.12.0.10, end: 10.12.0.250, leaseDuration: 8.00:00:00 }
              cloudServiceCidr: 10.12.0.5/24
              clusters:
                - name: edge
                  nodePools:
                    - { name: linux, osType: Linux, count: 3 }
            """, sameAllocations: true);
    }

    [Fact]
    public async Task TheDhcpExample_BuiltWithTheCmdlets_IsTheSiteOfItsSpec()
    {
        Host.Run("""
            $scope = New-TrellisDhcpScope -Subnet 10.12.0.0/24 -Start 10.12.0.10 -End 10.12.0.250 -LeaseDuration 8.00:00:00 -Reservation @{ name = 'jumphost'; ipAddress = '10.12.0.12'; macAddress = '02-1E-2B-78-00-01' }
            $vnet = New-AksHciNetworkSetting -name branchvnet -vswitchName External -vipPoolStart 10.12.0.200 -vipPoolEnd 10.12.0.239 -vlanID 12 -gateway 10.12.0.1 -dnsServers 10.10.0.53 -DhcpScope $scope
            Set-AksHciConfig -workingDir C:\AksHci -cloudConfigLocation C:\AksHci\Config -vnet $vnet -cloudServiceCidr 10.12.0.5/24 -SiteName branch | Out-Null
            New-AksHciCluster -name edge -nodePoolName linux -nodeCount 3 | Out-Null
            New-AksHciNodePool -clusterName edge -name win -osType Windows -osSku Windows2022 -count 2 -maxPodCount 60 | Out-Null
            New-TrellisService -ClusterName edge -Namespace pos -Name api -Port 443 | Out-Null
            """).Succeeded();

        await AssertSameSite(await File.ReadAllTextAsync(Path.Combine(ExampleState.ExamplesDirectory, "dhcp-site.yaml")), sameAllocations: false);
    }

    [Fact]
    public void Dhcp_AsTheModuleDocumentsIt_WithoutAScope_IsTheEnginesDhcpScopeMissing()
    {
        var run = Host.Run("""
            $vnet = New-AksHciNetworkSetting -name myvnet -vswitchName "extSwitch" -vipPoolStart "172.16.255.0" -vipPoolEnd "172.16.255.253"
            Set-AksHciConfig -workingDir C:\AksHci -cloudConfigLocation C:\AksHci\Config -vnet $vnet
            """);

        Assert.Contains("DhcpScopeMissing", run.Errors.Select(e => e.FullyQualifiedErrorId.Split(',')[0]));
        Assert.Contains(run.Errors, e => !string.IsNullOrEmpty(e.ErrorDetails?.RecommendedAction));
    }

    [Fact]
    public async Task AddingAWindowsNodePool_GivesTheSiteOfTheSpecWithThatPool()
    {
        var run = Host.Run(StaticVlan + "\nNew-AksHciNodePool -clusterName mycluster -name windowsnodepool -count 2 -osType Windows -osSku Windows2022").Succeeded();

        var pool = Assert.Single(run.Objects<AksHciNodePool>());
        Assert.Equal(("Windows", "Windows2022", 2, 60), (pool.OsType, pool.OsSku, pool.NodeCount, pool.MaxPodCount));
        await AssertSameSite(StaticVlanSpec + WindowsPool, sameAllocations: false);
    }

    [Fact]
    public async Task ScalingALoadBalancer_GivesTheSiteOfTheSpecWithThatCount()
    {
        var run = Host.Run(StaticVlan + """

            $lbCfg = New-AksHciLoadBalancerSetting -name haProxyLB -loadBalancerSku HAProxy -vmSize Standard_K8S3_v1 -loadBalancerCount 3
            New-AksHciCluster -name holidays -nodePoolName linuxnodepool -nodeCount 2 -loadBalancerSettings $lbCfg | Out-Null
            Set-AksHciLoadBalancer -clusterName holidays -loadBalancerCount 5
            """).Succeeded();

        Assert.Equal(5, run.Objects<AksHciCluster>().Single(c => c.Name == "holidays").LoadBalancerCount);
        Assert.Equal(5, (await AksHciNodePoolTests.Allocations(State)).Count(a => a.Contains("cluster/holidays/load-balancer-", StringComparison.Ordinal)));
        await AssertSameSite(Scaled(StaticVlanSpec), sameAllocations: false);
    }

    private const string WindowsPool = "\n        - { name: windowsnodepool, osType: Windows, osSku: Windows2022, count: 2, maxPodCount: 60 }";

    /// <summary>The static + VLAN site with a Windows pool in mycluster and cluster holidays of five HAProxy VMs from setting haProxyLB.</summary>
    internal static string WalkthroughSpec => Scaled(StaticVlanSpec + WindowsPool);

    /// <summary><paramref name="spec"/> with cluster holidays: setting haProxyLB of three HAProxy VMs, scaled to five for holidays.</summary>
    private static string Scaled(string spec) => spec.Replace("  clusters:", """
              loadBalancerSettings:
                - { name: haProxyLB, loadBalancerSku: HAProxy, vmSize: Standard_K8S3_v1, loadBalancerCount: 3 }
              clusters:
            """, StringComparison.Ordinal) + """

                - name: holidays
                  loadBalancerSettings: haProxyLB
                  loadBalancerCount: 5
                  nodePools:
                    - { name: linuxnodepool, osType: Linux, count: 2 }
            """;

    /// <summary>
    /// The state the script left is the site of <paramref name="yaml"/>: applying the spec to it changes nothing, and applying it
    /// to an empty state holds the same owners (with <paramref name="sameAllocations"/>, the same addresses: a script that adds
    /// objects in the order the spec lists them takes what the spec takes).
    /// </summary>
    private Task AssertSameSite(string yaml, bool sameAllocations) => AssertSameSite(State, _temp.Path, yaml, sameAllocations);

    internal static async Task AssertSameSite(string state, string scratch, string yaml, bool sameAllocations)
    {
        var read = SiteSpecs.Parse(yaml);
        Assert.True(read.Document is not null, string.Join("\n", read.Findings));
        var fresh = Path.Combine(scratch, "from-spec.db");
        await using (var session = EngineSession.OpenSqlite(fresh, write: true))
        {
            var applied = await session.Engine.ApplyAsync(read.Document);
            Assert.True(applied.Applied, string.Join("\n", applied.Findings));
        }

        await using (var session = EngineSession.OpenSqlite(state, write: false))
        {
            var plan = await session.Engine.PlanAsync(new ApplySpec(read.Document));
            Assert.False(plan.HasErrors, string.Join("\n", plan.Findings));
            var changes = plan.Changes.Where(c => !OnlyGivesMaxPodCount(c)).ToList();
            Assert.True(changes.Count == 0 && plan.Allocations is { IsEmpty: true },
                "the spec would change the walked site:\n" + string.Join("\n", changes.Select(c => $"{c.Kind} {c.Type} {c.Name}: {c.Detail}")));
        }

        var walked = await AksHciNodePoolTests.Allocations(state);
        var expected = await AksHciNodePoolTests.Allocations(fresh);
        if (sameAllocations)
        {
            Assert.Equal(expected.Order(StringComparer.Ordinal), walked.Order(StringComparer.Ordinal));
        }
        else
        {
            Assert.Equal(expected.Select(Owner).Order(StringComparer.Ordinal), walked.Select(Owner).Order(StringComparer.Ordinal));
        }
    }

    private static string Owner(string allocation) => allocation[(allocation.LastIndexOf(' ') + 1)..];

    /// <summary>
    /// A node pool change that only records its maxPodCount as given (<c>maxPods 60 (default) → maxPods 60</c>): the spec
    /// writes the value a script left to the cmdlets' default, which no spec can leave out for a Windows pool on Calico (the
    /// spec reader's default is 110, the cmdlets' what one Calico block holds).
    /// </summary>
    private static bool OnlyGivesMaxPodCount(Engine.Contracts.ObjectChange change) =>
        change is { Kind: Engine.Contracts.ChangeKind.Change, Type: "nodepool" } && change.Detail.Split(" → ") is [var before, var after]
        && before == after + " (default)";
}
