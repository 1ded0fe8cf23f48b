using System.Management.Automation;
using Trellis.Engine;
using Trellis.TestSupport;

namespace Trellis.PowerShell.Tests;

/// <summary>The AksHci cmdlets that change the site: each parameter set, -WhatIf, the pipeline, and bad parameters as ErrorRecords.</summary>
public sealed class AksHciChangeTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private ModuleHost Host => new(_temp.Path);

    private string State => Path.Combine(_temp.Path, ".trellis", "state.db");

    private const string ProdVnet = "New-AksHciClusterNetwork -name prodvnet -vswitchName External -ipAddressPrefix 172.17.0.0/23 -gateway 172.17.0.1 "
        + "-dnsServers 172.16.0.2 -k8sNodeIpPoolStart 172.17.0.10 -k8sNodeIpPoolEnd 172.17.1.99 -vipPoolStart 172.17.1.100 -vipPoolEnd 172.17.1.199 -vlanID 17";

    private ScriptRun Site(string more = "") => Host.Run(AksHciWalkthroughTests.StaticVlan + "\n" + more);

    private static string Code(ErrorRecord e) => e.FullyQualifiedErrorId.Split(',')[0];

    /// <summary>Runs <paramref name="script"/> and proves it wrote nothing: the state file's bytes and allocations are as before.</summary>
    private async Task<ScriptRun> Unchanged(string script)
    {
        var bytes = await File.ReadAllBytesAsync(State);
        var allocations = Host.Run("Get-TrellisIpAllocation | ForEach-Object { \"$($_.Pool) $($_.Address) $($_.Owner)\" }").Succeeded().OutputTexts();
        var run = Host.Run(script);
        Assert.Equal(allocations, Host.Run("Get-TrellisIpAllocation | ForEach-Object { \"$($_.Pool) $($_.Address) $($_.Owner)\" }").Succeeded().OutputTexts());
        Assert.Equal(bytes, await File.ReadAllBytesAsync(State));
        return run;
    }

    [Fact]
    public void SetAksHciConfig_WithWhatIf_CreatesNoState()
    {
        var run = Host.Run(AksHciWalkthroughTests.StaticVlan.Split('\n')[0] + "\nSet-AksHciConfig -workingDir C:\\w -cloudConfigLocation C:\\c -vnet $vnet -cloudServiceCidr 172.16.0.10/16 -WhatIf").Succeeded();

        Assert.Empty(run.Output);
        Assert.Equal("NoSite", Host.Run("Get-AksHciConfig").ErrorCode);
    }

    [Fact]
    public void SetAksHciConfig_RecordsSiteNameAndPlanningSettings_AndGetAksHciConfigShowsThem()
    {
        var run = Host.Run(AksHciWalkthroughTests.StaticVlan.Split('\n')[0] + """

            Set-AksHciConfig -workingDir C:\w -cloudConfigLocation C:\c -imageDir C:\i -vnet $vnet -cloudServiceCidr 172.16.0.10/16 -SiteName jane -PlanningSetting @{ managementClusterVip = $false; calicoBlockSize = 27 } | Out-Null
            Get-AksHciConfig
            """).Succeeded();

        var config = Assert.Single(run.Objects<AksHciConfig>());
        Assert.Equal(("jane", "AksHci", "172.16.0.10/16", "mgmtvnet", 7), (config.SiteName, config.Model, config.CloudServiceCidr, config.Vnet!.Name, config.Vnet.Vlanid));
        Assert.Equal(("false", "27"), (config.PlanningSetting["managementClusterVip"], config.PlanningSetting["calicoBlockSize"]));
        Assert.DoesNotContain("management/api-server", Host.Run("Get-TrellisIpAllocation").Succeeded().Objects<TrellisIpAllocation>().Select(a => a.Owner));
    }

    [Fact]
    public void SetAksHciConfig_ABadPlanningSetting_IsTheSpecReadersFinding_AtItsSpecPath()
    {
        var run = Host.Run(AksHciWalkthroughTests.StaticVlan.Split('\n')[0]
            + "\nSet-AksHciConfig -workingDir C:\\w -cloudConfigLocation C:\\c -vnet $vnet -cloudServiceCidr 172.16.0.10/16 -PlanningSetting @{ calicoBlockSize = 'big' }");

        var error = Assert.Single(run.Errors);
        Assert.Equal("spec.settings.calicoBlockSize", error.TargetObject);
        Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
        Assert.IsType<FindingException>(error.Exception);
    }

    [Fact]
    public void SetAksHciConfig_WithANetworksName_SaysItNeedsTheSettings()
    {
        Assert.Equal("InvalidValue", Host.Run("Set-AksHciConfig -workingDir C:\\w -cloudConfigLocation C:\\c -vnet mgmtvnet").ErrorCode);
    }

    [Fact]
    public void SetAksHciConfig_TellsOnTheVerboseStreamWhatItDoesNotRecord()
    {
        var run = Host.Run(AksHciWalkthroughTests.StaticVlan.Split('\n')[0]
            + "\nSet-AksHciConfig -workingDir C:\\w -cloudConfigLocation C:\\c -vnet $vnet -cloudServiceCidr 172.16.0.10/16 -nodeAgentPort 45000 -skipHostLimitChecks -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message").Succeeded();

        Assert.Contains(run.OutputTexts(), m => m.Contains("-CloudConfigLocation, -NodeAgentPort, -SkipHostLimitChecks, -WorkingDir", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("-macPoolStart 03:1E:2B:78:00:00", "ParameterArgumentValidationError")]
    [InlineData("-macPoolStart 02:1E:2B:78:00:00 -macPoolEnd 04:1E:2B:78:FF:FF", "MacPoolFirstByteMismatch")]
    public void SetAksHciConfig_ChecksTheMacPoolAsAksHciDoes(string parameters, string code)
    {
        var run = Host.Run(AksHciWalkthroughTests.StaticVlan.Split('\n')[0]
            + $"\nSet-AksHciConfig -workingDir C:\\w -cloudConfigLocation C:\\c -vnet $vnet -cloudServiceCidr 172.16.0.10/16 {parameters}");

        Assert.Equal(code, run.ErrorCode);
        Assert.Equal("NoSite", Host.Run("Get-AksHciConfig").ErrorCode);
        Host.Run(AksHciWalkthroughTests.StaticVlan.Split('\n')[0]
            + "\nSet-AksHciConfig -workingDir C:\\w -cloudConfigLocation C:\\c -vnet $vnet -cloudServiceCidr 172.16.0.10/16 -macPoolStart 02:1E:2B:78:00:00 -macPoolEnd 02:1E:2B:78:FF:FF").Succeeded();
    }

    [Fact]
    public void InstallAksHci_NeedsAStoredSite_AndWritesNothing()
    {
        Assert.Equal("NoSite", Host.Run("Install-AksHci").ErrorCode);
        Site().Succeeded();
        Assert.Empty(Host.Run("Install-AksHci; Set-AksHciRegistration -subscriptionId 00000000-0000-0000-0000-000000000000 -resourceGroupName rg").Succeeded().Output);
    }

    [Fact]
    public async Task NewAksHciClusterNetwork_StoresTheNetwork_AndGetAndRemoveFindIt()
    {
        Site().Succeeded();
        var created = Host.Run(ProdVnet).Succeeded().Objects<AksHciVirtualNetwork>().Single();
        Assert.Equal(("prodvnet", "cluster", 17, "172.17.0.10"), (created.Name, created.Kind, created.Vlanid, created.K8snodeIPPoolStart));

        Assert.Equal(["prodvnet"], Host.Run("Get-AksHciClusterNetwork").Succeeded().Objects<AksHciVirtualNetwork>().Select(n => n.Name));
        Assert.Equal(["mgmtvnet"], Host.Run("Get-AksHciClusterNetwork -clusterName mycluster").Succeeded().Objects<AksHciVirtualNetwork>().Select(n => n.Name));
        Assert.Equal("UnknownNetwork", Host.Run("Get-AksHciClusterNetwork -name nosuch").ErrorCode);

        await Unchanged("Remove-AksHciClusterNetwork -name prodvnet -WhatIf");
        Host.Run("Get-AksHciClusterNetwork -name prodvnet | Remove-AksHciClusterNetwork").Succeeded();
        Assert.Empty(Host.Run("Get-AksHciClusterNetwork").Succeeded().Output);
    }

    [Fact]
    public async Task NewAksHciClusterNetwork_WithWhatIf_WritesNothing_AndAnOverlapIsTheEnginesError()
    {
        Site().Succeeded();

        await Unchanged(ProdVnet + " -WhatIf");
        var overlap = await Unchanged(ProdVnet.Replace("172.17.", "172.16.", StringComparison.Ordinal).Replace("/23", "/16", StringComparison.Ordinal));

        Assert.NotEmpty(overlap.Errors);
        Assert.All(overlap.Errors, e => Assert.IsType<FindingException>(e.Exception));
    }

    [Fact]
    public async Task RemoveAksHciClusterNetwork_WhileAClusterUsesIt_IsNetworkInUse()
    {
        Site(ProdVnet + " | Out-Null\nNew-AksHciCluster -name payments -vnet prodvnet -nodePoolName linuxpool").Succeeded();

        var run = await Unchanged("Remove-AksHciClusterNetwork -name prodvnet");

        Assert.Equal("NetworkInUse", run.ErrorCode);
    }

    [Fact]
    public void NewAksHciCluster_NodePoolSet_WithTheExtensionParameters_StoresThem()
    {
        var run = Site(ProdVnet + " | Out-Null\n$lb = New-AksHciLoadBalancerSetting -name haproxy2 -loadBalancerSku HAProxy -loadBalancerCount 2\n"
            + "New-AksHciCluster -name payments -vnet prodvnet -controlPlaneNodeCount 3 -nodePoolName linuxpool -nodeCount 4 -osType Linux -nodeVmSize Standard_K8S3_v1 "
            + "-nodeMaxPodCount 100 -primaryNetworkPlugin flannel -kubernetesVersion v1.30.4 -loadBalancerSettings $lb -PodCidr 10.245.0.0/16 -ServiceCidr 10.97.0.0/16 "
            + "-VxlanVni 4097 -VxlanPort 4789 -VirtualRouterId 42").Succeeded();

        var c = run.Objects<AksHciCluster>().Single(c => c.Name == "payments");
        Assert.Equal(("prodvnet", 3, 4, "flannel", "v1.30.4", "haproxy2", 2), (c.Vnet, c.ControlPlaneNodeCount, c.LinuxNodeCount, c.PrimaryNetworkPlugin, c.KubernetesVersion, c.LoadBalancerSettings, c.LoadBalancerCount));
        Assert.Equal(("10.245.0.0/16", "10.97.0.0/16", 4097, 4789), (c.PodCidr, c.ServiceCidr, c.VxlanVni, c.VxlanPort));
        Assert.Contains(Host.Run("Get-TrellisIpAllocation -ClusterName payments").Succeeded().Objects<TrellisIpAllocation>(), a => a.Pool.EndsWith("vrrp", StringComparison.Ordinal) && a.Address == "42");
        Assert.Equal(100, Host.Run("Get-AksHciNodePool -clusterName payments").Succeeded().Objects<AksHciNodePool>().Single().MaxPodCount);
    }

    [Fact]
    public void NewAksHciCluster_OldSet_MakesTheLinuxAndWindowsPools()
    {
        var run = Site("New-AksHciCluster -name second -linuxNodeCount 2 -windowsNodeCount 1").Succeeded();

        var c = run.Objects<AksHciCluster>().Single(c => c.Name == "second");
        Assert.Equal(["second-linux", "second-windows"], c.NodePools);
        Assert.Equal((2, 1), (c.LinuxNodeCount, c.WindowsNodeCount));
    }

    [Fact]
    public async Task NewAksHciCluster_WithWhatIf_WritesNothing_AndBadValuesAreTheEnginesFindings()
    {
        Site().Succeeded();

        await Unchanged("New-AksHciCluster -name second -nodePoolName linuxpool -WhatIf");
        var badCount = await Unchanged("New-AksHciCluster -name second -controlPlaneNodeCount 2 -nodePoolName linuxpool");
        var badName = await Unchanged("New-AksHciCluster -name Second-1 -nodePoolName linuxpool");
        var badPlugin = await Unchanged("New-AksHciCluster -name second -nodePoolName linuxpool -primaryNetworkPlugin weave");
        var unknownVnet = await Unchanged("New-AksHciCluster -name second -vnet nosuchvnet");
        var duplicate = await Unchanged("New-AksHciCluster -name mycluster");

        Assert.Equal(("InvalidControlPlaneCount", "InvalidName", "InvalidValue"), (badCount.ErrorCode, badName.ErrorCode, badPlugin.ErrorCode));
        Assert.Equal("spec.clusters[1].primaryNetworkPlugin", badPlugin.Errors[0].TargetObject);
        Assert.All([.. badCount.Errors, .. badName.Errors, .. badPlugin.Errors], e => Assert.False(string.IsNullOrEmpty(e.ErrorDetails.RecommendedAction)));
        Assert.Equal("UnknownNetwork", unknownVnet.ErrorCode);
        Assert.Equal("DuplicateName", duplicate.ErrorCode);
        Assert.Equal(ErrorCategory.ResourceExists, duplicate.Errors[0].CategoryInfo.Category);
    }

    [Fact]
    public void NewAksHciCluster_AParameterOfTheWrongType_IsPowerShellsBindingError()
    {
        var run = Host.Run("New-AksHciCluster -name x -controlPlaneNodeCount three");

        Assert.IsType<ParameterBindingException>(Assert.Single(run.Errors).Exception);
    }

    [Fact]
    public async Task SetAksHciCluster_TakesClustersFromThePipeline_AndWhatIfWritesNothing()
    {
        Site("New-AksHciCluster -name second | Out-Null").Succeeded();

        await Unchanged("Get-AksHciCluster | Set-AksHciCluster -controlPlaneNodeCount 3 -WhatIf");
        var run = Host.Run("Get-AksHciCluster | Set-AksHciCluster -controlPlaneNodeCount 3").Succeeded();
        var bad = await Unchanged("Set-AksHciCluster -name second -controlPlaneNodeCount 4");
        var size = await Unchanged("Set-AksHciCluster -name second -controlPlaneVmSize Standard_D4s_v3");

        Assert.Equal([("mycluster", 3, "Standard_A4_V2"), ("second", 3, "Standard_A4_V2")],
            run.Objects<AksHciCluster>().Select(c => (c.Name, c.ControlPlaneNodeCount, c.ControlPlaneVmSize)));
        Assert.Equal("ImmutableField", size.ErrorCode);
        Assert.Equal(ErrorCategory.InvalidOperation, size.Errors[0].CategoryInfo.Category);
        Assert.Equal(3, (await AksHciNodePoolTests.Allocations(State)).Count(a => a.Contains("cluster/second/control-plane-", StringComparison.Ordinal)));
        Assert.Equal("InvalidControlPlaneCount", bad.ErrorCode);
    }

    [Fact]
    public async Task NewAndSetAksHciNodePool_AddAndScale_TheNodesAndTheirAddresses()
    {
        Site().Succeeded();

        var added = Host.Run("New-AksHciNodePool -clusterName mycluster -name extra -count 2 -vmSize Standard_D4s_v3").Succeeded().Objects<AksHciNodePool>().Single();
        await Unchanged("Get-AksHciNodePool -clusterName mycluster -name extra | Set-AksHciNodePool -count 4 -WhatIf");
        var scaled = Host.Run("Get-AksHciNodePool -clusterName mycluster -name extra | Set-AksHciNodePool -count 4").Succeeded().Objects<AksHciNodePool>().Single();

        Assert.Equal(("Linux", 2, "Standard_D4s_v3", 110), (added.OsType, added.NodeCount, added.VmSize, added.MaxPodCount));
        Assert.Equal(4, scaled.NodeCount);
        Assert.Equal(4, (await AksHciNodePoolTests.Allocations(State)).Count(a => a.Contains("cluster/mycluster/node/extra-", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task NewAksHciNodePool_BadValues_AreTheEnginesFindings()
    {
        Site().Succeeded();

        var badOs = await Unchanged("New-AksHciNodePool -clusterName mycluster -name extra -osType Solaris");
        var duplicate = await Unchanged("New-AksHciNodePool -clusterName mycluster -name mycluster-linux");
        var pods = await Unchanged("New-AksHciNodePool -clusterName mycluster -name extra -maxPodCount 20");
        var unknown = await Unchanged("Set-AksHciNodePool -clusterName mycluster -name nosuch -count 2");

        Assert.Equal("InvalidValue", badOs.ErrorCode);
        Assert.Equal("DuplicateName", duplicate.ErrorCode);
        Assert.Equal("InvalidMaxPodCount", pods.ErrorCode);
        Assert.Equal("UnknownNodePool", unknown.ErrorCode);
    }

    [Fact]
    public async Task SetAksHciLoadBalancer_WithWhatIf_WritesNothing_AndAnUnknownClusterIsUnknownCluster()
    {
        Site("$lb = New-AksHciLoadBalancerSetting -name lb2 -loadBalancerSku HAProxy -loadBalancerCount 2\nNew-AksHciCluster -name second -loadBalancerSettings $lb | Out-Null").Succeeded();

        await Unchanged("Set-AksHciLoadBalancer -clusterName second -loadBalancerCount 4 -WhatIf");
        var unknown = await Unchanged("Set-AksHciLoadBalancer -clusterName nosuch -loadBalancerCount 4");
        Host.Run("Get-AksHciCluster -name second | Set-AksHciLoadBalancer -loadBalancerCount 3").Succeeded();

        Assert.Equal("UnknownCluster", unknown.ErrorCode);
        Assert.Equal(3, (await AksHciNodePoolTests.Allocations(State)).Count(a => a.Contains("cluster/second/load-balancer-", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task SetAksHciLoadBalancer_ScalesAClusterCreatedWithoutASetting_ItsDefaultHAProxyVm()
    {
        Site().Succeeded();

        var run = Host.Run("Set-AksHciLoadBalancer -clusterName mycluster -loadBalancerCount 2").Succeeded();

        Assert.Equal(2, run.Objects<AksHciCluster>().Single().LoadBalancerCount);
        Assert.Equal(2, (await AksHciNodePoolTests.Allocations(State)).Count(a => a.Contains("cluster/mycluster/load-balancer-", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task UpdateAksHciCluster_WithWhatIf_WritesNothing()
    {
        Site().Succeeded();

        await Unchanged("Update-AksHciCluster -name mycluster -kubernetesVersion v1.30.4 -WhatIf");
        Assert.Equal("v1.29.4", Host.Run("Get-AksHciCluster mycluster").Succeeded().Objects<AksHciCluster>().Single().KubernetesVersion);
    }

    [Fact]
    public async Task RemoveAksHciNodePool_TakesPoolsFromThePipeline()
    {
        Site("New-AksHciNodePool -clusterName mycluster -name extra | Out-Null").Succeeded();

        Host.Run("Get-AksHciNodePool -clusterName mycluster | Where-Object NodePoolName -ne mycluster-linux | Remove-AksHciNodePool").Succeeded();

        Assert.Equal(["mycluster-linux"], Host.Run("Get-AksHciNodePool -clusterName mycluster").Succeeded().Objects<AksHciNodePool>().Select(p => p.NodePoolName));
        Assert.DoesNotContain(await AksHciNodePoolTests.Allocations(State), a => a.Contains("/extra-", StringComparison.Ordinal));
    }

    [Fact]
    public void EveryAksHciCmdletThatChangesTheSite_SupportsWhatIfAndConfirm_AndRemoveAsksFirst()
    {
        var run = Host.Run("""
            Get-Command -Module Trellis -Noun AksHci* | Where-Object Verb -in New, Set, Remove, Update | Where-Object Name -notin New-AksHciNetworkSetting, New-AksHciLoadBalancerSetting, Set-AksHciRegistration |
              ForEach-Object { $a = $_.ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0]; "$($_.Name) $($a.SupportsShouldProcess) $($a.ConfirmImpact)" }
            """).Succeeded();

        Assert.Equal(11, run.Output.Count);
        Assert.All(run.OutputTexts(), line => Assert.Equal(line.StartsWith("Remove-", StringComparison.Ordinal) ? "True High" : "True Medium", line[(line.IndexOf(' ') + 1)..]));
    }
}
