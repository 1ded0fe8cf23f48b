using System.Globalization;
using Trellis.Core.Model;
using Trellis.Core.Validation;
using Trellis.Engine;

namespace Trellis.Cli;

/// <summary>Parses what-if questions such as "add-nodepool cluster=b name=win osType=Windows count=10".</summary>
internal static class WhatIfParser
{
    public static (SiteSpec? Spec, IReadOnlyList<Finding> Findings) Apply(SiteSpec spec, string question)
    {
        var words = question.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0)
        {
            return Fail(question, "The question is empty.");
        }

        var args = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var word in words.Skip(1))
        {
            var eq = word.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                return Fail(question, $"'{word}' is not key=value.");
            }

            args[word[..eq]] = word[(eq + 1)..];
        }

        string Get(string k, string fallback = "") => args.TryGetValue(k, out var v) ? v : fallback;
        int Int(string k, int fallback) => int.TryParse(Get(k), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : fallback;

        return words[0] switch
        {
            "add-nodepool" => SpecMutations.AddNodePool(spec, Get("cluster"), new NodePoolSpec
            {
                Name = Get("name", "whatif"),
                OsType = Get("osType", "Linux").Equals("Windows", StringComparison.OrdinalIgnoreCase) ? OsType.Windows : OsType.Linux,
                Count = Int("count", 1),
                MaxPodCount = Int("maxPodCount", Get("osType").Equals("Windows", StringComparison.OrdinalIgnoreCase) ? 60 : SiteSpecDefaults.MaxPodCount),
            }),
            "scale-nodepool" => SpecMutations.ScaleNodePool(spec, Get("cluster"), Get("name"), Int("count", 1)),
            "add-service" => SpecMutations.AddService(spec, Get("cluster"), new ServiceSpec
            {
                Namespace = Get("namespace", "default"),
                Name = Get("name", "whatif"),
                Ports = [Int("port", 443)],
                SharedIpKey = args.GetValueOrDefault("sharedIpKey"),
            }),
            "add-cluster" => SpecMutations.AddCluster(spec, new ClusterSpec
            {
                Name = Get("name", "whatif"),
                Vnet = args.GetValueOrDefault("vnet"),
                ControlPlaneNodeCount = Int("controlPlaneNodeCount", 1),
                NodePools = [new NodePoolSpec { Name = "linuxpool", Count = Int("workers", 1) }],
            }),
            _ => Fail(question, $"'{words[0]}' is not a what-if change."),
        };
    }

    private static (SiteSpec?, IReadOnlyList<Finding>) Fail(string question, string problem) =>
        (null, [Finding.Error("InvalidWhatIf", "--what-if", $"{problem} ({question})",
            "Write e.g. \"add-nodepool cluster=b name=win osType=Windows count=10\", \"scale-nodepool cluster=b name=linuxpool count=20\", \"add-service cluster=a port=443\", \"add-cluster name=c workers=3\".")]);
}
