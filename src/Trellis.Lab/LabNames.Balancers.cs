using System.Globalization;

namespace Trellis.Lab;

/// <summary>The names of a lab's load balancer VMs and of its outside client (docs/lab.md).</summary>
public sealed partial record LabNames
{
    /// <summary>The client's end of its link to the fabric, inside the client's namespace.</summary>
    public const string ClientInterface = "eth0";

    /// <summary>The fabric's end of the client's link: the client network's router.</summary>
    public const string ClientRouter = "cl0";

    /// <summary>The namespace of load balancer VM number <paramref name="index"/> (from 1): <c>PREFIX LAB-lbINDEX</c>.</summary>
    public string Balancer(int index) => $"{Prefix}{Lab}-lb{index.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The outside client that probes the VIPs, on a network of its own routed by the fabric: <c>PREFIX LAB-client</c>.</summary>
    public string Client => $"{Prefix}{Lab}-client";

    /// <summary>Load balancer VM number <paramref name="index"/>'s port on its vSwitch, in the fabric namespace.</summary>
    public static string BalancerPort(int index) => $"lb{index.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The index of a load balancer VM namespace of this lab, or null when <paramref name="name"/> is not one.</summary>
    public int? BalancerIndex(string name) => Numbered(name, $"{Prefix}{Lab}-lb");
}
