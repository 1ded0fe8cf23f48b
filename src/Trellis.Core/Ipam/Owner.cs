using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Trellis.Core.Ipam;

/// <summary>
/// Who holds an allocation: an object and its role. One canonical text form (<see cref="ToString"/>), read back by
/// <see cref="TryParse"/>: '/' separates the parts, and no name Trellis accepts holds a '/', so a part is never mistaken
/// for another whatever its name (a cluster called <c>node</c>, a namespace called <c>service</c>). Code decides by the
/// type, never by looking inside the text (docs/concepts.md, "Owners and pools").
/// </summary>
[JsonConverter(typeof(TextFormJsonConverter<Owner>))]
public abstract record Owner : ITextForm<Owner>
{
    private protected Owner()
    {
    }

    /// <summary>The workload cluster the owner belongs to; null for the site's own owners (management cluster, cloud agent, reservations).</summary>
    public virtual string? Cluster => null;

    public abstract override string ToString();

    public static Owner Parse(string text) =>
        TryParse(text, out var owner) ? owner : throw new FormatException($"'{text}' is not an owner.");

    public static bool TryParse([NotNullWhen(true)] string? text, [NotNullWhen(true)] out Owner? owner)
    {
        owner = text is null ? null : Read(new OwnerText(text, stackalloc Range[OwnerText.MaxParts + 1], null));
        return owner is not null;
    }

    /// <summary>
    /// Reads an owner as stored by any version of Trellis: also the older forms of ClusterIP and NodePort owners, which
    /// did not name their cluster (<c>service/NS/NAME</c> in <c>cluster/C/cluster-ips</c>), and of a surge VM that borrowed
    /// an update address (the slot was then named in its detail, <c>reserve cluster/C/upgrade-reserve-N</c>).
    /// </summary>
    public static bool TryParseStored(PoolId pool, string text, string? detail, [NotNullWhen(true)] out Owner? owner) =>
        TryParseStored(pool, text, detail, null, out owner, out _);

    /// <summary>
    /// <see cref="TryParseStored(PoolId, string, string?, out Owner?)"/> of many owners in one read: the names in them are
    /// taken from <paramref name="names"/> (one string per cluster, namespace or pool name, not one per owner).
    /// <paramref name="canonical"/> says whether <paramref name="text"/> is the owner's own text form (<see cref="ToString"/>),
    /// which holds for every owner read but those of an older form.
    /// </summary>
    public static bool TryParseStored(PoolId pool, ReadOnlySpan<char> text, string? detail, NameTable? names, [NotNullWhen(true)] out Owner? owner, out bool canonical)
    {
        ArgumentNullException.ThrowIfNull(pool);
        var parts = new OwnerText(text, stackalloc Range[OwnerText.MaxParts + 1], names);
        canonical = false;
        if (pool is ClusterPool { Kind: ClusterPoolKind.ClusterIps, Cluster: var c } && parts.Count == 3 && parts[0] is "service" && parts.Names(1, 2))
        {
            owner = new ClusterIp(new ServiceRef(c, parts.Name(1), parts.Name(2)));
        }
        else if (pool is ClusterPool { Kind: ClusterPoolKind.NodePorts, Cluster: var n } && parts.Count == 5 && parts[0] is "service" && parts.Names(1, 2))
        {
            owner = NodePort.From(new ServiceRef(n, parts.Name(1), parts.Name(2)), parts[3], parts[4]);
        }
        else
        {
            owner = Read(parts);
            canonical = owner is not null;
        }

        if (owner is UpgradeSurge { ReserveSlot: null } surge && detail is not null
            && TryParse(detail.StartsWith(UpgradeSurge.LegacyDetail, StringComparison.Ordinal) ? detail[UpgradeSurge.LegacyDetail.Length..] : null, out var reserve)
            && reserve is UpgradeReserve r && r.Cluster == surge.Cluster)
        {
            owner = surge with { ReserveSlot = r.Slot };
            canonical = false;
        }

        return owner is not null;
    }

    /// <summary>The owner of a text split at '/'; null when it is none. Every stored owner is read on every command: no strings but names.</summary>
    private static Owner? Read(OwnerText parts) => parts[0] switch
    {
        "management" when parts.Count == 2 => parts[1] switch
        {
            "vm" => new ManagementVm(),
            "api-server" => new ManagementApiServer(),
            var role when Numbered(role, ManagementReserve.Prefix) is { } i => new ManagementReserve(i),
            _ => null,
        },
        "site" when parts.Count == 2 && parts[1] is "cloud-agent" => new CloudAgent(),
        "reservation" when parts.Count == 2 && parts.Names(1) => new DhcpReservation(parts.Name(1)),
        "cluster" when parts.Count == 4 && parts[2] is "node" && parts.Names(1) => NodeVm.ReadWorker(parts.Name(1), parts[3], parts.Table),
        "cluster" when parts.Count == 3 && parts.Names(1) => ClusterRole(parts.Name(1), parts[2]),
        "service" when parts.Count == 3 && parts.Names(1) && parts[2].StartsWith(SharedVip.Prefix) && parts[2].Length > SharedVip.Prefix.Length =>
            new SharedVip(parts.Name(1), parts[2][SharedVip.Prefix.Length..].ToString()),
        "service" when parts.Count == 4 && parts.Names(1, 2, 3) => new ServiceVip(parts.Service()),
        "service" when parts.Count == 5 && parts[4] is ClusterIp.Role && parts.Names(1, 2, 3) => new ClusterIp(parts.Service()),
        "service" when parts.Count == 6 && parts.Names(1, 2, 3) => NodePort.From(parts.Service(), parts[4], parts[5]),
        "node" when parts.Count == 4 && parts.Names(1) && NodeVm.FromNodeName(parts.Name(1), parts[2], parts.Table) is { } vm => PodRole(vm, parts[3]),
        _ => null,
    };

    private static Owner? ClusterRole(string cluster, ReadOnlySpan<char> role) => role switch
    {
        ApiServer.Role => new ApiServer(cluster),
        ControlPlaneIp.Role => new ControlPlaneIp(cluster),
        VirtualRouter.Role => new VirtualRouter(cluster),
        UpgradeSurge.Role => new UpgradeSurge(cluster, null),
        _ when Numbered(role, UpgradeSurge.Role + "-") is { } i => new UpgradeSurge(cluster, i),
        _ when Numbered(role, UpgradeReserve.Prefix) is { } i => new UpgradeReserve(cluster, i),
        _ when Numbered(role, LoadBalancerVm.Prefix) is { } i => new LoadBalancerVm(cluster, i),
        _ when Numbered(role, ControlPlaneVm.Prefix) is { } i => new ControlPlaneVm(cluster, i),
        _ => null,
    };

    private static Owner? PodRole(NodeVm node, ReadOnlySpan<char> role) => role switch
    {
        PodCidr.Role => new PodCidr(node),
        _ when Numbered(role, PodBlock.Prefix) is { } i => new PodBlock(node, i),
        _ => null,
    };

    /// <summary>The number N of <c>PREFIXN</c>, written as Trellis writes it (no sign, no leading zero); null for anything else.</summary>
    internal static int? Numbered(ReadOnlySpan<char> text, string prefix) =>
        text.StartsWith(prefix, StringComparison.Ordinal) && Number(text[prefix.Length..]) is { } n ? n : null;

    internal static int? Number(ReadOnlySpan<char> text) =>
        text.Length is > 0 and <= 9 && !text.ContainsAnyExceptInRange('0', '9') && (text[0] != '0' || text.Length == 1)
            ? int.Parse(text, CultureInfo.InvariantCulture)
            : null;

    internal static string Text(int number) => number.ToString(CultureInfo.InvariantCulture);
}

/// <summary>An owner of a workload cluster.</summary>
public abstract record ClusterOwner(string ClusterName) : Owner
{
    public sealed override string? Cluster => ClusterName;
}

/// <summary>A LoadBalancer or ClusterIP service of a cluster.</summary>
public sealed record ServiceRef(string Cluster, string Namespace, string Name)
{
    public override string ToString() => $"service/{Cluster}/{Namespace}/{Name}";
}

/// <summary>The management cluster's VM.</summary>
public sealed record ManagementVm : Owner
{
    public override string ToString() => "management/vm";
}

/// <summary>The management cluster's API server VIP.</summary>
public sealed record ManagementApiServer : Owner
{
    public override string ToString() => "management/api-server";
}

/// <summary>One of the management cluster's update addresses, slot 1 upwards.</summary>
public sealed record ManagementReserve(int Slot) : Owner
{
    internal const string Prefix = "update-reserve-";

    public override string ToString() => $"management/{Prefix}{Text(Slot)}";
}

/// <summary>The MOC cloud agent's address.</summary>
public sealed record CloudAgent : Owner
{
    public override string ToString() => "site/cloud-agent";
}

/// <summary>A DHCP reservation of the spec (Add-DhcpServerv4Reservation).</summary>
public sealed record DhcpReservation(string Name) : Owner
{
    public override string ToString() => $"reservation/{Name}";
}

/// <summary>A VM that is a Kubernetes node: a control plane VM or a worker of a node pool.</summary>
public abstract record NodeVm(string ClusterName) : ClusterOwner(ClusterName)
{
    /// <summary>The Kubernetes node name, e.g. <c>control-plane-1</c>, <c>linuxpool-2</c>.</summary>
    public abstract string NodeName { get; }

    /// <summary>The node of a Kubernetes node name, or null; validation keeps node pools from being named like the control plane.</summary>
    public static NodeVm? FromNodeName(string cluster, string node) => FromNodeName(cluster, node, null);

    internal static NodeVm? FromNodeName(string cluster, ReadOnlySpan<char> node, NameTable? names) =>
        Numbered(node, ControlPlaneVm.Prefix) is { } i ? new ControlPlaneVm(cluster, i) : ReadWorker(cluster, node, names);

    internal static WorkerVm? ReadWorker(string cluster, ReadOnlySpan<char> node, NameTable? names)
    {
        // The pool name may hold '-' and digits; the index is what follows the last '-'.
        var dash = node.LastIndexOf('-');
        return dash > 0 && Number(node[(dash + 1)..]) is { } i ? new WorkerVm(cluster, NameTable.Get(names, node[..dash]), i) : null;
    }
}

/// <summary>Control plane VM number <paramref name="Index"/> (1–5).</summary>
public sealed record ControlPlaneVm(string ClusterName, int Index) : NodeVm(ClusterName)
{
    internal const string Prefix = "control-plane-";

    public override string NodeName => $"{Prefix}{Text(Index)}";

    public override string ToString() => $"cluster/{ClusterName}/{NodeName}";
}

/// <summary>Worker VM number <paramref name="Index"/> of a node pool.</summary>
public sealed record WorkerVm(string ClusterName, string NodePool, int Index) : NodeVm(ClusterName)
{
    public override string NodeName => $"{NodePool}-{Text(Index)}";

    public override string ToString() => $"cluster/{ClusterName}/node/{NodeName}";
}

/// <summary>HAProxy load balancer VM number <paramref name="Index"/>.</summary>
public sealed record LoadBalancerVm(string ClusterName, int Index) : ClusterOwner(ClusterName)
{
    internal const string Prefix = "load-balancer-";

    /// <summary>The VM's name, as <c>render --node</c> takes it.</summary>
    public string VmName => $"{Prefix}{Text(Index)}";

    public override string ToString() => $"cluster/{ClusterName}/{VmName}";
}

/// <summary>An update address of a cluster, held for the surge VM of a rolling upgrade, slot 1 upwards.</summary>
public sealed record UpgradeReserve(string ClusterName, int Slot) : ClusterOwner(ClusterName)
{
    internal const string Prefix = "upgrade-reserve-";

    public override string ToString() => $"cluster/{ClusterName}/{Prefix}{Text(Slot)}";
}

/// <summary>The surge VM of a rolling upgrade; <paramref name="ReserveSlot"/> is the update address it borrowed, which it gives back.</summary>
public sealed record UpgradeSurge(string ClusterName, int? ReserveSlot) : ClusterOwner(ClusterName)
{
    internal const string Role = "upgrade-surge";
    internal const string LegacyDetail = "reserve ";

    public override string ToString() => ReserveSlot is { } slot ? $"cluster/{ClusterName}/{Role}-{Text(slot)}" : $"cluster/{ClusterName}/{Role}";
}

/// <summary>The API server VIP of an AksHci cluster.</summary>
public sealed record ApiServer(string ClusterName) : ClusterOwner(ClusterName)
{
    internal const string Role = "api-server";

    public override string ToString() => $"cluster/{ClusterName}/{Role}";
}

/// <summary>The control plane IP of an AKS Arc cluster.</summary>
public sealed record ControlPlaneIp(string ClusterName) : ClusterOwner(ClusterName)
{
    internal const string Role = "control-plane-ip";

    public override string ToString() => $"cluster/{ClusterName}/{Role}";
}

/// <summary>The VRRP virtual_router_id of a cluster's keepalived.</summary>
public sealed record VirtualRouter(string ClusterName) : ClusterOwner(ClusterName)
{
    internal const string Role = "vrrp";

    public override string ToString() => $"cluster/{ClusterName}/{Role}";
}

/// <summary>The VIP of a LoadBalancer service without a sharedIpKey.</summary>
public sealed record ServiceVip(ServiceRef Service) : ClusterOwner(Service.Cluster)
{
    public override string ToString() => Service.ToString();
}

/// <summary>The one VIP of the services of a cluster that share <paramref name="Key"/>.</summary>
public sealed record SharedVip(string ClusterName, string Key) : ClusterOwner(ClusterName)
{
    internal const string Prefix = "shared:";

    public override string ToString() => $"service/{ClusterName}/{Prefix}{Key}";
}

/// <summary>The ClusterIP of a service.</summary>
public sealed record ClusterIp(ServiceRef Service) : ClusterOwner(Service.Cluster)
{
    internal const string Role = "cluster-ip";

    public override string ToString() => $"{Service}/{Role}";
}

/// <summary>The NodePort behind one port of a LoadBalancer service.</summary>
public sealed record NodePort(ServiceRef Service, string Protocol, int Port) : ClusterOwner(Service.Cluster)
{
    public override string ToString() => $"{Service}/{Protocol.ToLowerInvariant()}/{Text(Port)}";

    internal static NodePort? From(ServiceRef service, ReadOnlySpan<char> protocol, ReadOnlySpan<char> port) =>
        protocol.Length > 0 && !protocol.ContainsAnyExceptInRange('a', 'z') && Number(port) is { } p ? new NodePort(service, Upper(protocol), p) : null;

    private static string Upper(ReadOnlySpan<char> protocol) => protocol switch
    {
        "tcp" => "TCP",
        "udp" => "UDP",
        "sctp" => "SCTP",
        _ => protocol.ToString().ToUpperInvariant(),
    };
}

/// <summary>A node's Flannel pod subnet lease.</summary>
public sealed record PodCidr(NodeVm Node) : ClusterOwner(Node.ClusterName)
{
    internal const string Role = "pod-cidr";

    public override string ToString() => $"node/{Node.ClusterName}/{Node.NodeName}/{Role}";
}

/// <summary>A node's Calico IPAM block, 1 upwards.</summary>
public sealed record PodBlock(NodeVm Node, int Index) : ClusterOwner(Node.ClusterName)
{
    internal const string Prefix = "block-";

    public override string ToString() => $"node/{Node.ClusterName}/{Node.NodeName}/{Prefix}{Text(Index)}";
}

/// <summary>A value with one text form: <see cref="object.ToString"/> writes it, <see cref="TryParse"/> reads it back.</summary>
public interface ITextForm<TSelf> where TSelf : class, ITextForm<TSelf>
{
    static abstract bool TryParse([NotNullWhen(true)] string? text, [NotNullWhen(true)] out TSelf? value);
}

/// <summary>Writes a value as its text and reads it back, so that JSON documents and stored values keep the one text form.</summary>
public sealed class TextFormJsonConverter<T> : JsonConverter<T> where T : class, ITextForm<T>
{
    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        T.TryParse(reader.GetString(), out var value) ? value : throw new JsonException($"'{reader.GetString()}' is not a {typeof(T).Name}.");

    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
}
