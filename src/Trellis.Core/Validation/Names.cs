using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Trellis.Core.Validation;

/// <summary>A naming rule: what a name must look like, said in words for the hint, with an example that passes.</summary>
internal sealed record NameRule(Regex Pattern, string Words, string Example)
{
    public bool IsMatch(string value) => Pattern.IsMatch(value);
}

/// <summary>
/// The name rules of each product (docs/validation.md, "Name rules", says where each comes from). Every pattern ends in
/// \z, not $, which would let a trailing newline through.
/// </summary>
internal static partial class Names
{
    /// <summary>Kubernetes DNS-1123 label: site names, namespaces, service names, AKS Arc cluster names, AksHci node pools.</summary>
    public static readonly NameRule Dns1123Label = new(Dns1123LabelPattern(),
        "Use lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters (a Kubernetes DNS-1123 label)", "web");

    /// <summary>New-AksHciNetworkSetting -name: "must be all lowercase letters and numbers"; New-AksHciCluster: no hyphens.</summary>
    public static readonly NameRule AksHci = new(AksHciPattern(), "Use only lowercase letters and digits, starting with a letter, at most 40 characters (no hyphens)", "mgmtvnet");

    /// <summary>AKS Arc agent pools (HybridContainerService AgentPool: ^[a-z][a-z0-9]{2,11}$).</summary>
    public static readonly NameRule ArcNodePool = new(ArcNodePoolPattern(), "Use 3 to 12 lowercase letters and digits, starting with a letter (AKS Arc agent pool names)", "linux");

    /// <summary>Azure Local logical networks (Microsoft.AzureStackHCI/logicalNetworks name pattern, 2–64 characters).</summary>
    public static readonly NameRule ArcNetwork = new(ArcNetworkPattern(),
        "Use 2 to 64 letters, digits, '-', '.' or '_', starting with a letter or digit and ending with a letter, digit or '_'", "aks-lnet");

    /// <summary>AKS Arc MetalLB load balancers and BGP peers (^[a-zA-Z0-9-]{3,24}$), also Kubernetes object names once lowercased.</summary>
    public static readonly NameRule MetalLb = new(MetalLbPattern(), "Use 3 to 24 letters, digits or '-', starting and ending with a letter or digit", "lb-a");

    /// <summary>New-AksHciLoadBalancerSetting -name: the product's own example is 'haProxyLB'.</summary>
    public static readonly NameRule LoadBalancerSetting = new(LoadBalancerSettingPattern(),
        "Use letters, digits and '-', starting and ending with a letter or digit, at most 63 characters", "haProxyLB");

    /// <summary>A key shared by services: a Kubernetes label value, as MetalLB's allow-shared-ip annotation takes it.</summary>
    public static readonly NameRule SharedIpKey = new(LabelValuePattern(),
        "Use letters, digits, '-', '_' and '.', starting and ending with a letter or digit, at most 63 characters", "front");

    /// <summary>Add-DhcpServerv4Reservation -Name: a host name or a short label.</summary>
    public static readonly NameRule Reservation = new(ReservationPattern(),
        "Use letters, digits, spaces, '-', '_' and '.', starting and ending with a letter or digit, at most 128 characters", "jumphost");

    /// <summary>A Hyper-V virtual switch (Get-VMSwitch), e.g. Azure Local's 'ConvergedSwitch(compute_management)'.</summary>
    public static readonly NameRule VmSwitch = new(VmSwitchPattern(),
        "Use letters, digits, spaces and - _ . ( ), at most 128 characters, without a leading or trailing space", "External");

    /// <summary>A VM size as Get-AksHciVmSize lists them.</summary>
    public static readonly NameRule VmSize = new(VmSizePattern(), "Use a VM size name of letters, digits and '_', e.g. from Get-AksHciVmSize", "Standard_K8S3_v1");

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\z")]
    private static partial Regex Dns1123LabelPattern();

    [GeneratedRegex(@"^[a-z][a-z0-9]{0,39}\z")]
    private static partial Regex AksHciPattern();

    [GeneratedRegex(@"^[a-z][a-z0-9]{2,11}\z")]
    private static partial Regex ArcNodePoolPattern();

    [GeneratedRegex(@"^[a-zA-Z0-9][-._a-zA-Z0-9]{0,62}[_a-zA-Z0-9]\z")]
    private static partial Regex ArcNetworkPattern();

    [GeneratedRegex(@"^[a-zA-Z0-9][-a-zA-Z0-9]{1,22}[a-zA-Z0-9]\z")]
    private static partial Regex MetalLbPattern();

    [GeneratedRegex(@"^[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?\z")]
    private static partial Regex LoadBalancerSettingPattern();

    [GeneratedRegex(@"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?\z")]
    private static partial Regex LabelValuePattern();

    [GeneratedRegex(@"^[A-Za-z0-9]([-A-Za-z0-9 _.]{0,126}[A-Za-z0-9])?\z")]
    private static partial Regex ReservationPattern();

    [GeneratedRegex(@"^[-A-Za-z0-9_.()]([-A-Za-z0-9 _.()]{0,126}[-A-Za-z0-9_.()])?\z")]
    private static partial Regex VmSwitchPattern();

    [GeneratedRegex(@"^[A-Za-z0-9_]{1,64}\z")]
    private static partial Regex VmSizePattern();

    [GeneratedRegex(@"^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}\z")]
    public static partial Regex MacAddress();

    /// <summary>Reports InvalidName at <paramref name="path"/> when <paramref name="value"/> breaks <paramref name="rule"/>.</summary>
    public static bool Check(ValidationContext v, NameRule rule, string value, string path, string what)
    {
        if (rule.IsMatch(value))
        {
            return true;
        }

        v.Error("InvalidName", path, $"{what} '{Printable(value)}' is not valid.", $"{rule.Words}, e.g. '{rule.Example}'.");
        return false;
    }

    /// <summary>A value as a finding can quote it: control and format characters as \uXXXX, at most 80 characters.</summary>
    public static string Printable(string value)
    {
        var text = new StringBuilder();
        foreach (var rune in value.EnumerateRunes())
        {
            if (text.Length >= 80)
            {
                text.Append('…');
                break;
            }

            if (TextRules.IsForbidden(rune))
            {
                text.Append(CultureInfo.InvariantCulture, $"\\u{rune.Value:X4}");
            }
            else
            {
                text.Append(rune.ToString());
            }
        }

        return text.ToString();
    }
}
