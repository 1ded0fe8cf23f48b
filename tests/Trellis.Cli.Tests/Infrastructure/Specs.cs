using System.Globalization;
using System.Text;

namespace Trellis.Cli.Tests.Infrastructure;

/// <summary>The specs in examples/ (found by walking up from the test binaries) and edited copies of them.</summary>
internal static class Specs
{
    public static string ExamplesDirectory { get; } = FindExamples();

    private static string FindExamples()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "examples");
            if (Directory.Exists(candidate) && File.Exists(Path.Combine(candidate, "worked-example.yaml")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException($"examples/ not found above {AppContext.BaseDirectory}.");
    }

    public static string Example(string file) => Path.Combine(ExamplesDirectory, file);

    public static string WorkedExample => Example("worked-example.yaml");

    public static string Contoso => Example("contoso-multicluster.yaml");

    /// <summary>Every example site spec's file name.</summary>
    public static IEnumerable<object[]> AllExamples() =>
        Directory.EnumerateFiles(ExamplesDirectory, "*.yaml").Select(Path.GetFileName).Order(StringComparer.Ordinal).Select(f => new object[] { f! });

    public static string Read(string path) => File.ReadAllText(path).ReplaceLineEndings("\n");

    /// <summary>Replaces text that must occur in <paramref name="text"/> exactly once.</summary>
    public static string Edit(string text, string find, string replacement)
    {
        var at = text.IndexOf(find, StringComparison.Ordinal);
        if (at < 0 || text.IndexOf(find, at + find.Length, StringComparison.Ordinal) >= 0)
        {
            throw new InvalidOperationException($"'{find}' must occur exactly once in the spec.");
        }

        return text.Replace(find, replacement, StringComparison.Ordinal);
    }

    /// <summary>
    /// A site "big" on one host network 10.0.0.0/16 with a large node IP pool and VIP pool. The same network with
    /// (2, 3, 2) is the small version; with (20, 100, 20) it takes thousands of allocations.
    /// </summary>
    public static string BigSite(int clusters, int nodesPerCluster, int servicesPerCluster)
    {
        var b = new StringBuilder();
        b.Append("""
            apiVersion: trellis/v1
            kind: Site
            metadata: { name: big }
            spec:
              model: AksHci
              hostNetwork:
                name: bignet
                vswitchName: External
                ipAllocationMethod: Static
                ipAddressPrefix: 10.0.0.0/16
                gateway: 10.0.0.1
                dnsServers: [10.0.0.2]
                k8sNodeIpPoolStart: 10.0.1.0
                k8sNodeIpPoolEnd: 10.0.127.255
                vipPoolStart: 10.0.128.0
                vipPoolEnd: 10.0.200.255
              cloudServiceCidr: 10.0.0.10/16
              clusters:

            """);
        for (var c = 0; c < clusters; c++)
        {
            b.Append(CultureInfo.InvariantCulture, $"    - name: c{c}\n      controlPlaneNodeCount: 3\n      nodePools:\n        - {{ name: linuxpool, osType: Linux, count: {nodesPerCluster} }}\n");
            if (servicesPerCluster > 0)
            {
                b.Append("      services:\n");
                for (var s = 0; s < servicesPerCluster; s++)
                {
                    b.Append(CultureInfo.InvariantCulture, $"        - {{ namespace: ns, name: svc{s}, ports: [443] }}\n");
                }
            }
        }

        return b.ToString();
    }
}
