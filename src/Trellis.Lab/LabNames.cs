using System.Globalization;
using System.Text.RegularExpressions;
using Trellis.Engine.Contracts;

namespace Trellis.Lab;

/// <summary>
/// The names of one lab's network namespaces and interfaces: <c>PREFIX LAB-fabric</c> for the fabric, <c>PREFIX LAB-nINDEX</c>
/// for node VM number INDEX. Only names that start with <see cref="Prefix"/> are ever made or removed; tests use
/// <see cref="TestPrefix"/>, so that they never touch a lab a person runs on the same machine.
/// </summary>
public sealed partial record LabNames
{
    /// <summary>What every namespace of a lab is named after, unless told otherwise (issue 16: only <c>trellis-lab-*</c>).</summary>
    public const string DefaultPrefix = "trellis-lab-";

    /// <summary>The prefix of the project's own tests: they may only make <c>trellis-test-*</c> namespaces.</summary>
    public const string TestPrefix = "trellis-test-lab-";

    /// <summary>The longest lab name: namespace names stay readable, and the name is a DNS label like a site's.</summary>
    public const int MaxLabLength = 40;

    /// <summary>The node VM's own interface, inside its namespace.</summary>
    public const string NodeInterface = "eth0";

    /// <summary>The pods' bridge in a node VM's namespace, as Flannel's CNI names it.</summary>
    public const string PodBridge = "cni0";

    /// <summary>The VXLAN device in a node VM's namespace, as Flannel's VXLAN backend names it.</summary>
    public const string Vxlan = "flannel.1";

    /// <summary>The node's end of the probe pod's veth, a port of <see cref="PodBridge"/>.</summary>
    public const string PodPort = "vethp0";

    public LabNames(string prefix, string lab)
    {
        Prefix = prefix;
        Lab = lab;
    }

    public string Prefix { get; }

    public string Lab { get; }

    /// <summary>The namespace that holds the vSwitches (bridges) and the gateways.</summary>
    public string Fabric => $"{Prefix}{Lab}-fabric";

    /// <summary>The namespace of node VM number <paramref name="index"/> (from 1).</summary>
    public string Node(int index) => $"{Prefix}{Lab}-n{index.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The namespace of the probe pod of node VM number <paramref name="index"/>: <c>PREFIX LAB-nINDEX-p0</c>.</summary>
    public string Pod(int index) => $"{Node(index)}-p0";

    /// <summary>The short name of a probe pod, as <c>lab trace</c> takes it: <c>nINDEX-p0</c>.</summary>
    public static string PodLabel(int index) => $"n{index.ToString(CultureInfo.InvariantCulture)}-p0";

    /// <summary>The node index of a probe pod's short name (<c>n2-p0</c>), or null when <paramref name="label"/> is not one.</summary>
    public static int? PodOfLabel(string label) =>
        label.StartsWith('n') && label.EndsWith("-p0", StringComparison.Ordinal) && label.Length > 4 && label[1..^3].All(char.IsAsciiDigit) && label[1] != '0'
            && int.TryParse(label[1..^3], NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : null;

    /// <summary>The node index of a probe pod namespace of this lab, or null when <paramref name="name"/> is not one.</summary>
    public int? PodIndex(string name) =>
        name.StartsWith($"{Prefix}{Lab}-", StringComparison.Ordinal) ? PodOfLabel(name[$"{Prefix}{Lab}-".Length..]) : null;

    /// <summary>The namespace of the DHCP server (Kea) of DHCP network number <paramref name="index"/>: <c>PREFIX LAB-dhcpINDEX</c>.</summary>
    public string Dhcp(int index) => $"{Prefix}{Lab}-dhcp{index.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The DHCP server's port on its vSwitch, in the fabric namespace.</summary>
    public static string DhcpPort(int index) => $"d{index.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Where the lab's daemons keep their files (configurations, leases, logs): removed by <c>lab down</c>.</summary>
    public string RunDirectory => Path.Combine(RunRoot, $"{Prefix}{Lab}");

    /// <summary>The directory every lab's run directory is in.</summary>
    public const string RunRoot = "/run/trellis-lab";

    /// <summary>The index of a DHCP server namespace of this lab, or null when <paramref name="name"/> is not one.</summary>
    public int? DhcpIndex(string name) => Numbered(name, $"{Prefix}{Lab}-dhcp");
    /// <summary>The namespace of workload pod number <paramref name="slot"/> (from 1) on node VM number <paramref name="node"/>: <c>PREFIX LAB-nNODE-wSLOT</c>.</summary>
    public string WorkloadPod(int node, int slot) => $"{Node(node)}-w{slot.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The node's end of workload pod number <paramref name="slot"/>'s veth, a port of <see cref="PodBridge"/>.</summary>
    public static string WorkloadPort(int slot) => $"vethw{slot.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The node and slot of a workload pod namespace of this lab, or null when <paramref name="name"/> is not one.</summary>
    public (int Node, int Slot)? WorkloadIndex(string name)
    {
        var head = $"{Prefix}{Lab}-n";
        var rest = name.StartsWith(head, StringComparison.Ordinal) ? name[head.Length..] : "";
        return rest.Split("-w") is [var n, var w] && Number(n) is { } node && Number(w) is { } slot ? (node, slot) : null;

        static int? Number(string text) => text.Length is > 0 and < 6 && text.All(char.IsAsciiDigit) && text[0] != '0'
            ? int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture)
            : null;
    }

    /// <summary>The node VM's port on its vSwitch, in the fabric namespace (interface names hold 15 characters at most).</summary>
    public static string NodePort(int index) => $"p{index.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The bridge of vSwitch number <paramref name="index"/> (from 0), in the fabric namespace.</summary>
    public static string Bridge(int index) => $"br{index.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The gateway of network number <paramref name="index"/>: a router interface in the fabric namespace.</summary>
    public static string Gateway(int index) => $"gw{index.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The vSwitch port the gateway of network number <paramref name="index"/> is plugged into.</summary>
    public static string GatewayPort(int index) => $"r{index.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The index of a node namespace of this lab, or null when <paramref name="name"/> is not one.</summary>
    public int? NodeIndex(string name) => Numbered(name, $"{Prefix}{Lab}-n");

    /// <summary>N when <paramref name="name"/> is <paramref name="head"/> followed by a number N ≥ 1 (no leading zero); else null.</summary>
    private static int? Numbered(string name, string head) =>
        name.StartsWith(head, StringComparison.Ordinal) && name.Length > head.Length && name[head.Length..].All(char.IsAsciiDigit)
            && name[head.Length] != '0' && int.TryParse(name[head.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var i)
            ? i
            : null;

    /// <summary>Whether <paramref name="name"/> is one of this lab's namespaces (its fabric, one of its nodes, their probe pods or workload pods, a DHCP server, its load balancer VMs or its client).</summary>
    public bool Owns(string name) => name == Fabric || NodeIndex(name) is not null || PodIndex(name) is not null || WorkloadIndex(name) is not null || DhcpIndex(name) is not null || BalancerIndex(name) is not null || name == Client;

    /// <summary>The lab a fabric namespace named <paramref name="name"/> belongs to, under <paramref name="prefix"/>; null when it is none.</summary>
    public static string? LabOfFabric(string prefix, string name) =>
        name.StartsWith(prefix, StringComparison.Ordinal) && name.EndsWith("-fabric", StringComparison.Ordinal) && name.Length > prefix.Length + "-fabric".Length
            ? name[prefix.Length..^"-fabric".Length]
            : null;

    /// <summary>LabNameInvalid unless <paramref name="lab"/> is a DNS label of at most <see cref="MaxLabLength"/> characters.</summary>
    public static Finding? CheckLab(string lab) => lab.Length is > 0 and <= MaxLabLength && LabName().IsMatch(lab)
        ? null
        : Finding.Error("LabNameInvalid", "name", $"'{lab}' cannot name a lab.",
            $"Use lower-case letters, digits and '-' (not first or last), at most {MaxLabLength} characters, e.g. the site's name.");

    /// <summary>LabPrefixInvalid unless <paramref name="prefix"/> is a name start that ends in '-' (only <c>trellis-</c> names are made).</summary>
    public static Finding? CheckPrefix(string prefix) => prefix.StartsWith("trellis-", StringComparison.Ordinal) && prefix.EndsWith('-') && prefix.Length <= 40 && PrefixName().IsMatch(prefix)
        ? null
        : Finding.Error("LabPrefixInvalid", "prefix", $"'{prefix}' cannot start the lab's namespace names.",
            $"Use '{DefaultPrefix}' (or '{TestPrefix}' in tests): lower-case letters, digits and '-', starting with 'trellis-' and ending in '-'.");

    [GeneratedRegex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")]
    private static partial Regex LabName();

    [GeneratedRegex("^[a-z0-9-]+$")]
    private static partial Regex PrefixName();
}
