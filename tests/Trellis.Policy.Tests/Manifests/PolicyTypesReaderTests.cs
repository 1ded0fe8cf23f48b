using Trellis.Policy.Manifests;

namespace Trellis.Policy.Tests.Manifests;

public class PolicyTypesReaderTests
{
    [Theory]
    [InlineData("networking.k8s.io/v1", "NetworkPolicy", "policyTypes", "podSelector: {}")]
    [InlineData("projectcalico.org/v3", "NetworkPolicy", "types", "selector: all()")]
    public void UnknownPolicyType_IsAFindingAtItsIndex_AndKnownTypesStillCount(string apiVersion, string kind, string field, string selector)
    {
        var set = ManifestLoader.LoadText($"""
            apiVersion: {apiVersion}
            kind: {kind}
            metadata: {"{"} name: p, namespace: x {"}"}
            spec:
              {selector}
              {field}: [Ingress, Sideways]
            """, "p.yaml");

        var finding = Assert.Single(set.Findings, f => f.Code == "PolicyTypeInvalid");
        Assert.EndsWith($"spec.{field}[1]", finding.Path, StringComparison.Ordinal);
        Assert.Contains("Sideways", finding.Message, StringComparison.Ordinal);
    }
}
