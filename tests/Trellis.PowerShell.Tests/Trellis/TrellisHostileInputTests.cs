using System.Management.Automation;
using Trellis.TestSupport;

namespace Trellis.PowerShell.Tests.Trellis;

/// <summary>
/// Bad input to Trellis' own cmdlets ends in ErrorRecords a user can act on: a finding (its code the error id), PowerShell's
/// own parameter errors, or a store or file error naming the path; never a .NET exception of the module's making.
/// </summary>
public sealed class TrellisHostileInputTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    public static TheoryData<string> Scripts =>
    [
        "Get-TrellisCapacity -StatePath $s -Path ''",
        "Get-TrellisCapacity -StatePath $s -Path \"a`0b.yaml\"",
        "Get-TrellisCapacity -StatePath $s -Path 'nodrive:/site.yaml'",
        "Get-TrellisCapacity -StatePath $s -WhatIfChange 'add-cluster name=x workers=abc'",
        "Get-TrellisCapacity -StatePath $s -WhatIfChange 'no-such-verb a=b'",
        "Get-TrellisCapacity -StatePath $s -WhatIfChange ' '",
        "Get-TrellisCapacity -StatePath /",
        "Get-TrellisAudit -StatePath /dev/null",
        "Test-TrellisSite -Path /dev/null",
        "Test-TrellisSite -Path /",
        "Test-TrellisSite -Yaml ('[' * 5000)",
        "Test-TrellisSite -Yaml \"apiVersion: trellis/v1`nkind: Site`nmetadata: { name: \\\"a`0b\\\" }`nspec: {}\"",
        "Import-TrellisSite -StatePath $s -Yaml 'kind: Site'",
        "Export-TrellisSite -StatePath $s -Path /proc/no-such-folder/site.yaml",
        "Export-TrellisSite -StatePath $s -Path Env:site",
        "Export-TrellisConfig -StatePath $s -Path /dev/null",
        "Export-TrellisConfig -StatePath $s -ClusterName nope",
        "Export-TrellisConfig -StatePath $s -NodeName nope",
        "Test-TrellisNetworkPolicy /dev/zero -From a/b -To c/d -Port tcp/80",
        "Test-TrellisNetworkPolicy $m -From '' -To c/d -Port tcp/80",
        "Test-TrellisNetworkPolicy $m -From shop/web -To shop/api -Port 'tcp/-1'",
        "Test-TrellisNetworkPolicy $m -From shop/web -To shop/api -Port tcp/80 -SitePath /dev/null",
        "Get-TrellisTrace $m -From shop/web -To shop/api -Port tcp/8080 -StatePath $s -ClusterName nope",
        "Get-TrellisTrace $m -From 999.1.1.1 -To shop/api -Port tcp/8080 -StatePath $s -ClusterName a",
        "New-TrellisService -StatePath $s -ClusterName a -Name web -Port 0",
        "New-TrellisService -StatePath $s -ClusterName a -Name ('x' * 300) -Port 80",
        "New-TrellisService -StatePath $s -ClusterName a -Name 'Web_1' -Namespace 'a b' -Port 80",
        "New-TrellisService -StatePath $s -ClusterName a -Name web -Port 80 -SharedIpKey \"`n\"",
        "Remove-TrellisService -StatePath $s -ClusterName a -Name nope -Confirm:$false",
        "New-TrellisLoadBalancerPool -StatePath $s a lb-y -Address 'not-an-address'",
        "New-TrellisLoadBalancerPool -StatePath $s a lb-y -Address '10.220.32.0/33'",
        "New-TrellisBgpPeer -StatePath $s b p1 -MyAsn -1 -PeerAsn 99999999999 -PeerAddress nope",
        "New-TrellisBgpPeer -StatePath $s b p1 -MyAsn 1 -PeerAsn 2 -PeerAddress 10.220.32.9 -PeerPort 70000",
        "New-TrellisDhcpScope x y z -Reservation @{ name = $null }",
        "New-TrellisDhcpScope x y z -Reservation @{ 1 = 2 }",
    ];

    [Theory]
    [MemberData(nameof(Scripts))]
    public async Task BadInput_IsAnErrorRecordAUserCanActOn_NeverAStackTrace(string script)
    {
        var state = await ModuleTests.Applied(_temp.Path, "aksarc-site.yaml");
        var shop = Path.Combine(ExampleState.ExamplesDirectory, "manifests", "shop.yaml");

        var run = new ModuleHost(_temp.Path).Run(script, new Dictionary<string, object> { ["s"] = state, ["m"] = shop });

        Assert.True(run.Errors.Count > 0, $"{script} wrote no error; output: {string.Join(", ", run.Output)}");
        foreach (var error in run.Errors)
        {
            var id = error.FullyQualifiedErrorId.Split(',')[0];
            var known = error.Exception is FindingException or ParameterBindingException
                || (id is "StoreError" && error.Exception.GetType().Name == "StoreException")
                || (id is "FileNotWritten" && error.Exception is IOException or UnauthorizedAccessException);
            Assert.True(known, $"{script}: {id} carries {error.Exception.GetType().FullName}: {error.Exception.Message}");
            Assert.DoesNotContain("   at ", error.ToString(), StringComparison.Ordinal);
            Assert.False(string.IsNullOrWhiteSpace(error.ToString()));
        }
    }
}
