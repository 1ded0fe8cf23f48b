using System.Text.RegularExpressions;

namespace Trellis.Core.Validation;

internal static partial class Names
{
    /// <summary>AksHci: "must be all lowercase letters and numbers"; clusters must not contain hyphens.</summary>
    [GeneratedRegex("^[a-z][a-z0-9]{0,39}$")]
    public static partial Regex AksHciName();

    /// <summary>Kubernetes DNS-1123 label (namespaces, service names).</summary>
    [GeneratedRegex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
    public static partial Regex Dns1123Label();

    [GeneratedRegex("^v?[0-9]+\\.[0-9]+\\.[0-9]+$")]
    public static partial Regex KubernetesVersion();

    [GeneratedRegex("^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$")]
    public static partial Regex MacAddress();

    /// <summary>AKS Arc load balancer names: ^[a-zA-Z0-9-]{3,24}$.</summary>
    [GeneratedRegex("^[a-zA-Z0-9-]{3,24}$")]
    public static partial Regex MetalLbName();
}
