using Trellis.TestSupport;

namespace Trellis.PowerShell.Tests.Trellis;

/// <summary>Trellis' own cmdlets in a real pwsh: -WhatIf prints the plan on the host, as a user sees it, and writes nothing.</summary>
public sealed class TrellisRealPwshTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void WhatIf_PrintsThePlanInWords_AndWritesNothing()
    {
        var spec = Path.Combine(ExampleState.ExamplesDirectory, "worked-example.yaml");

        var (exit, output, error) = Pwsh.Run(Path.Combine(AppContext.BaseDirectory, "scripts", "trellis-whatif.ps1"), _temp.Path, "-Spec", spec);

        Assert.True(exit == 0, $"pwsh exited {exit}:\n{output}\n{error}");
        Assert.Contains("What if: Apply site spec \"jane\"", output, StringComparison.Ordinal);
        Assert.Contains("+ cluster a:", output, StringComparison.Ordinal);
        Assert.Contains("takes 59 allocations:", output, StringComparison.Ordinal);
        Assert.Contains("+ net/mgmtvnet/vips 172.16.0.150 cluster/a/api-server", output, StringComparison.Ordinal);
        Assert.Contains("state-written: False", output, StringComparison.Ordinal);
        Assert.Contains("What if: Write 1 rendered file to folder", output, StringComparison.Ordinal);
        Assert.Contains("config-written: False", output, StringComparison.Ordinal);
        Assert.Contains("What if: Add service \"a/shop/web9\"", output, StringComparison.Ordinal);
        Assert.Contains("services: 4", output, StringComparison.Ordinal);
    }

    [Fact]
    public void RemoveTrellisPolicy_WhatIfNamesTheAssignment_AndConfirmFalseRemovesIt()
    {
        var spec = Path.Combine(ExampleState.ExamplesDirectory, "worked-example.yaml");
        var policies = Path.Combine(ExampleState.ExamplesDirectory, "governance", "policies.yaml");

        var (exit, output, error) = Pwsh.Run(Path.Combine(AppContext.BaseDirectory, "scripts", "trellis-policy.ps1"), _temp.Path, "-Spec", spec, "-Policies", policies);

        Assert.True(exit == 0, $"pwsh exited {exit}:\n{output}\n{error}");
        Assert.Contains("before: calico-only,own-namespace-vips,supported-versions", output, StringComparison.Ordinal);
        Assert.Contains("What if: Remove policy assignment \"calico-only\"", output, StringComparison.Ordinal);
        Assert.Contains("- policy assignment calico-only", output, StringComparison.Ordinal);
        Assert.Contains("after-whatif: calico-only,own-namespace-vips,supported-versions", output, StringComparison.Ordinal);
        Assert.Contains("after-remove: own-namespace-vips,supported-versions", output, StringComparison.Ordinal);
        Assert.Contains("again: UnknownPolicy,Trellis.PowerShell.RemoveTrellisPolicyCommand", output, StringComparison.Ordinal);
    }
}
