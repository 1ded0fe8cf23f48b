using System.Management.Automation;
using Trellis.Engine;
using Trellis.TestSupport;

namespace Trellis.PowerShell.Tests.Trellis;

/// <summary>
/// Import-TrellisPolicy, Get-TrellisCompliance and Remove-TrellisPolicy: the Engine's governance, with PowerShell's -WhatIf and
/// -Confirm, one object per judged item, and findings as ErrorRecords.
/// </summary>
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

    /// <summary>A stored definition of the site's own and an assignment of it, with the example's assignments.</summary>
    private async Task<(string State, Dictionary<string, object> Vars)> WithOwnDefinition()
    {
        var state = await ModuleTests.Applied(_temp.Path);
        var own = Path.Combine(_temp.Path, "own.yaml");
        await File.WriteAllTextAsync(own, """
            apiVersion: trellis/v1
            kind: PolicyDefinition
            metadata: { name: small-pools }
            spec:
              description: Node pools of at most params.max nodes.
              target: NodePool
              parameters: [{ name: max, type: number, default: 10 }]
              rule: { expression: "item.count <= params.max" }
            ---
            apiVersion: trellis/v1
            kind: PolicyAssignment
            metadata: { name: pools-stay-small }
            spec: { definition: small-pools, effect: Audit }
            """);
        var vars = new Dictionary<string, object> { ["s"] = state, ["p"] = Policies, ["o"] = own };
        Host.Run("Import-TrellisPolicy -Path $p -StatePath $s; Import-TrellisPolicy -Path $o -StatePath $s", vars).Succeeded();
        return (state, vars);
    }

    [Fact]
    public async Task RemoveTrellisPolicy_RemovesTheNamedAssignment_AndKeepsTheOthers()
    {
        var (state, vars) = await WithOwnDefinition();

        var run = Host.Run("Remove-TrellisPolicy calico-only -StatePath $s -Confirm:$false", vars).Succeeded();

        Assert.Empty(run.Output);
        var stored = await Stored(state);
        Assert.Equal(["own-namespace-vips", "pools-stay-small", "supported-versions"], stored.Assignments.Select(a => a.Name));
        Assert.Equal(["small-pools"], stored.Definitions.Select(d => d.Name));
    }

    [Fact]
    public async Task RemoveTrellisPolicy_WithKindDefinition_RemovesADefinitionNoLongerAssigned()
    {
        var (state, vars) = await WithOwnDefinition();

        Host.Run("Remove-TrellisPolicy -Name pools-stay-small -StatePath $s -Confirm:$false; Remove-TrellisPolicy small-pools -Kind Definition -StatePath $s -Confirm:$false", vars)
            .Succeeded();

        var stored = await Stored(state);
        Assert.Empty(stored.Definitions);
        Assert.Equal(["calico-only", "own-namespace-vips", "supported-versions"], stored.Assignments.Select(a => a.Name));
    }

    [Fact]
    public async Task RemoveTrellisPolicy_WhatIf_NamesWhatItWouldRemove_AndRemovesNothing()
    {
        var (state, vars) = await WithOwnDefinition();

        // "What if: …" goes to the host, which this hosted runspace does not have: TrellisRealPwshTests reads it in a real pwsh.
        var run = Host.Run("Remove-TrellisPolicy calico-only -StatePath $s -WhatIf", vars).Succeeded();

        Assert.Empty(run.Output);
        Assert.Equal(4, (await Stored(state)).Assignments.Count);
    }

    [Fact]
    public async Task RemoveTrellisPolicy_OfADefinitionStillAssigned_IsDefinitionInUse_AndRemovesNothing()
    {
        var (state, vars) = await WithOwnDefinition();

        var run = Host.Run("Remove-TrellisPolicy small-pools -Kind Definition -StatePath $s -Confirm:$false", vars);

        var error = Assert.Single(run.Errors);
        Assert.Equal("DefinitionInUse", run.ErrorCode);
        Assert.Equal(ErrorCategory.InvalidOperation, error.CategoryInfo.Category);
        Assert.Equal("-Name", error.TargetObject);
        Assert.Contains("pools-stay-small", error.ErrorDetails.Message, StringComparison.Ordinal);
        Assert.IsType<FindingException>(error.Exception);
        Assert.Equal(["small-pools"], (await Stored(state)).Definitions.Select(d => d.Name));
    }

    [Fact]
    public async Task RemoveTrellisPolicy_OfANameNotStored_IsUnknownPolicy_AndRemovesNothing()
    {
        var (state, vars) = await WithOwnDefinition();

        var assignment = Host.Run("Remove-TrellisPolicy no-such-policy -StatePath $s -Confirm:$false", vars);
        var definition = Host.Run("Remove-TrellisPolicy calico-only -Kind Definition -StatePath $s -Confirm:$false", vars);

        Assert.Equal("UnknownPolicy", assignment.ErrorCode);
        Assert.Equal(ErrorCategory.ObjectNotFound, assignment.Errors[0].CategoryInfo.Category);
        Assert.Contains("no assignment 'no-such-policy'", assignment.Errors[0].ErrorDetails.Message, StringComparison.Ordinal);
        Assert.Equal("UnknownPolicy", definition.ErrorCode);
        Assert.Contains("no definition 'calico-only'", definition.Errors[0].ErrorDetails.Message, StringComparison.Ordinal);
        Assert.Equal(4, (await Stored(state)).Assignments.Count);
    }

    [Fact]
    public async Task RemoveTrellisPolicy_TakesComplianceItemsAndNamedObjectsFromThePipeline_EachAssignmentOnce()
    {
        var (state, vars) = await WithOwnDefinition();

        // supported-versions judges two clusters: two items, one removal, and no UnknownPolicy for the second.
        var run = Host.Run("""
            Get-TrellisCompliance -StatePath $s | Where-Object Assignment -eq supported-versions | Remove-TrellisPolicy -StatePath $s -Confirm:$false
            [pscustomobject]@{ Name = 'calico-only' } | Remove-TrellisPolicy -StatePath $s -Confirm:$false
            """, vars).Succeeded();

        Assert.Empty(run.Output);
        Assert.Equal(["own-namespace-vips", "pools-stay-small"], (await Stored(state)).Assignments.Select(a => a.Name));
    }
}
