using Trellis.Core.Addressing;
using Trellis.Policy.Manifests;

namespace Trellis.Policy.Calico;

/// <summary>A NetworkSet (namespaced) or GlobalNetworkSet (Namespace null): labelled CIDRs that rule selectors can match.</summary>
public sealed record NetworkSet(string Name, string? Namespace, IReadOnlyDictionary<string, string> Labels, IReadOnlyList<Prefix> Nets)
{
    public SourceRef Source { get; init; } = SourceRef.None;

    public bool IsGlobal => Namespace is null;

    public string Id => Namespace is null ? Name : $"{Namespace}/{Name}";
}

/// <summary>An IPPool: what the Windows lint needs (its CIDR and encapsulation).</summary>
public sealed record IpPoolInfo(string Name, Prefix Cidr, string IpipMode, string VxlanMode, bool Disabled)
{
    public SourceRef Source { get; init; } = SourceRef.None;

    public bool IsVxlan => VxlanMode is "Always" or "CrossSubnet";
}

/// <summary>The VXLAN settings of a FelixConfiguration (null when not written: Calico's defaults VNI 4096, port 4789).</summary>
public sealed record FelixVxlanSettings(string Name, int? VxlanVni, int? VxlanPort)
{
    public SourceRef Source { get; init; } = SourceRef.None;
}
