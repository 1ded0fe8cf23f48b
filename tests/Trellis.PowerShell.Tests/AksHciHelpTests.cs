using Trellis.TestSupport;

namespace Trellis.PowerShell.Tests;

/// <summary>The AksHci cmdlets' help and views, beyond what ModuleTests asks of every cmdlet.</summary>
public sealed class AksHciHelpTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void EveryParameterOfEveryAksHciCmdlet_IsDescribedInItsHelp()
    {
        var run = new ModuleHost(_temp.Path).Run("""
            $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
            foreach ($c in Get-Command -Module Trellis -Noun AksHci*) {
              foreach ($p in $c.Parameters.Keys | Where-Object { $common -notcontains $_ }) {
                $text = (Get-Help $c.Name -Parameter $p -ErrorAction SilentlyContinue).description.Text
                if (-not $text) { "$($c.Name) -$p" }
              }
            }
            """).Succeeded();

        Assert.Empty(run.Output.Select(o => o.ToString()));
    }

    [Theory]
    [InlineData("AksHciCluster", "TableControl")]
    [InlineData("AksHciNodePool", "TableControl")]
    [InlineData("AksHciVirtualNetwork", "TableControl")]
    [InlineData("AksHciLoadBalancerSetting", "TableControl")]
    [InlineData("AksHciConfig", "ListControl")]
    public void EveryAksHciObject_HasAView(string type, string control)
    {
        var run = new ModuleHost(_temp.Path).Run($"(Get-FormatData -TypeName Trellis.PowerShell.{type}).FormatViewDefinition[0].Control.GetType().Name").Succeeded();

        Assert.Equal(control, run.Output[0].ToString());
    }

    [Fact]
    public void TheNodePoolTable_ShowsTheModulesColumns()
    {
        var run = new ModuleHost(_temp.Path).Run(
            "[Trellis.PowerShell.AksHciNodePool]@{ ClusterName = 'a'; NodePoolName = 'linuxpool'; OsType = 'Linux'; NodeCount = 3; VmSize = 'Standard_K8S3_v1'; Version = 'v1.29.4' } | Out-String").Succeeded();

        var lines = run.Output[0].ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(["ClusterName", "NodePoolName", "Version", "OsType", "NodeCount", "VmSize", "Phase"], lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(["a", "linuxpool", "v1.29.4", "Linux", "3", "Standard_K8S3_v1", "Deployed"], lines[2].Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }
}
