using Trellis.Engine;
using Trellis.TestSupport;

namespace Trellis.PowerShell.Tests.Trellis;

/// <summary>Import-TrellisPolicy and Get-TrellisCompliance: the Engine's governance, with PowerShell's -WhatIf and one object per judged item.</summary>
public sealed class TrellisGovernanceCmdletTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private ModuleHost Host => new(_temp.Path);

    private static string Policies => Path.Combine(ExampleState.ExamplesDirectory, "governance", "policies.yaml");

    private static async Task<GovernanceView> Stored(string state)
    {
        await using var session = EngineSession.OpenSqlite(state, write: false);
        return SiteViews.Governance(await session.Engine.ReadAsync());
    }

    [Fact]
    public async Task ImportTrellisPolicy_StoresTheAssignments_WhatIfStoresNothing_AndADenyThenRefusesAnAksHciCmdlet()
    {
        var state = await ModuleTests.Applied(_temp.Path);
        var vars = new Dictionary<string, object> { ["s"] = state, ["p"] = Policies };

        Host.Run("Import-TrellisPolicy -Path $p -StatePath $s -WhatIf", vars).Succeeded();
        Assert.Empty((await Stored(state)).Assignments);

        var change = Assert.Single(Host.Run("Import-TrellisPolicy -Path $p -StatePath $s", vars).Succeeded().Objects<TrellisSiteChange>());
        Assert.Equal(3, change.Changes.Count);
        Assert.Equal(["calico-only", "own-namespace-vips", "supported-versions"], (await Stored(state)).Assignments.Select(a => a.Name));

        // The stored Deny assignment is checked on the module's changes too: a service sharing shop's VIP from another namespace.
        var refused = Host.Run("New-TrellisService -ClusterName a -Namespace billing -Name invoices -Port 8443 -SharedIpKey front -StatePath $s", vars);
        Assert.Contains(refused.Errors, e => e.FullyQualifiedErrorId.StartsWith("PolicyDenied", StringComparison.Ordinal));
        Assert.Equal(3, (await Stored(state)).Assignments.Count);
    }

    [Fact]
    public async Task GetTrellisCompliance_WritesOneObjectPerItem_AndReadsManifestsForTheRulesAboutThem()
    {
        var state = await ModuleTests.Applied(_temp.Path);
        var yaml = Path.Combine(_temp.Path, "ns.yaml");
        await File.WriteAllTextAsync(yaml, """
            apiVersion: trellis/v1
            kind: PolicyAssignment
            metadata: { name: default-deny }
            spec: { definition: namespace-default-deny-ingress, effect: Deny }
            """);
        var vars = new Dictionary<string, object> { ["s"] = state, ["p"] = Policies, ["y"] = yaml, ["m"] = Path.Combine(ExampleState.ExamplesDirectory, "manifests", "shop.yaml") };
        Host.Run("Import-TrellisPolicy -Path $p -StatePath $s; Import-TrellisPolicy -Path $y -StatePath $s", vars).Succeeded();

        var items = Host.Run("Get-TrellisCompliance -StatePath $s", vars).Succeeded().Objects<TrellisComplianceItem>();
        Assert.Equal(8, items.Count);
        Assert.All(items, i => Assert.Equal("Compliant", i.State));

        var withManifests = Host.Run("Get-TrellisCompliance -StatePath $s -ManifestPath $m | Where-Object { $_.State -eq 'NonCompliant' }", vars).Succeeded()
            .Objects<TrellisComplianceItem>();
        var monitoring = Assert.Single(withManifests);
        Assert.Equal(("default-deny", "namespace/monitoring", "Deny"), (monitoring.Assignment, monitoring.Item, monitoring.Effect));
    }
}
