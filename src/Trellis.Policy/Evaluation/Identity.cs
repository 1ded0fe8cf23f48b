using System.Net.Sockets;
using Trellis.Policy.Manifests;

namespace Trellis.Policy.Evaluation;

/// <summary>
/// A labelled resource at an address, as Calico's selectors see it: a workload endpoint (its pod labels plus
/// projectcalico.org/namespace, /orchestrator, /serviceaccount and the inherited pcns./pcsa. labels) or a network set.
/// </summary>
internal sealed class Identity
{
    public const string NamespaceLabel = "projectcalico.org/namespace";
    public const string OrchestratorLabel = "projectcalico.org/orchestrator";
    public const string ServiceAccountLabel = "projectcalico.org/serviceaccount";
    public const string NameLabel = "projectcalico.org/name";

    private static readonly IReadOnlyDictionary<string, string> None = new Dictionary<string, string>(StringComparer.Ordinal);

    private Identity(IReadOnlyDictionary<string, string> labels, string? ns, IReadOnlyDictionary<string, string> namespaceLabels,
        IReadOnlyDictionary<string, string> accountLabels, Workload? workload)
    {
        Labels = labels;
        Namespace = ns;
        NamespaceLabels = namespaceLabels;
        AccountLabels = accountLabels;
        Workload = workload;
    }

    /// <summary>The labels endpoint selectors test.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; }
    /// <summary>Null for global resources (GlobalNetworkSet).</summary>
    public string? Namespace { get; }
    /// <summary>What namespace selectors test: the namespace's labels, projectcalico.org/name, and projectcalico.org/namespace (which
    /// Calico's rewrite of all() and global() asks about); empty for global resources.</summary>
    public IReadOnlyDictionary<string, string> NamespaceLabels { get; }
    /// <summary>What service account selectors test (the pcsa. labels): the account's labels and projectcalico.org/name.</summary>
    public IReadOnlyDictionary<string, string> AccountLabels { get; }
    public Workload? Workload { get; }

    public bool IsWorkload => Workload is not null;
    public bool IsGlobal => Namespace is null;
    public string? ServiceAccount => Workload?.ServiceAccount;

    public static Identity ForWorkload(Workload w, NamespaceInfo? ns, ServiceAccountInfo? account)
    {
        var nsLabels = NamespaceView(w.Namespace, ns);
        var accountLabels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (account is not null)
        {
            foreach (var (k, v) in account.Labels)
            {
                accountLabels[k] = v;
            }
        }

        accountLabels[NameLabel] = w.ServiceAccount;
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in nsLabels)
        {
            if (k != NamespaceLabel)
            {
                labels["pcns." + k] = v;
            }
        }

        foreach (var (k, v) in accountLabels)
        {
            labels["pcsa." + k] = v;
        }

        foreach (var (k, v) in w.Labels)
        {
            labels[k] = v;
        }

        labels[NamespaceLabel] = w.Namespace;
        labels[OrchestratorLabel] = "k8s";
        labels[ServiceAccountLabel] = w.ServiceAccount;
        return new Identity(labels, w.Namespace, nsLabels, accountLabels, w);
    }

    public static Identity ForNetworkSet(Calico.NetworkSet set, NamespaceInfo? ns)
    {
        if (set.Namespace is null)
        {
            return new Identity(set.Labels, null, None, None, null);
        }

        var nsLabels = NamespaceView(set.Namespace, ns);
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in nsLabels)
        {
            if (k != NamespaceLabel)
            {
                labels["pcns." + k] = v;
            }
        }

        foreach (var (k, v) in set.Labels)
        {
            labels[k] = v;
        }

        labels[NamespaceLabel] = set.Namespace;
        return new Identity(labels, set.Namespace, nsLabels, None, null);
    }

    private static Dictionary<string, string> NamespaceView(string name, NamespaceInfo? ns)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (ns is not null)
        {
            foreach (var (k, v) in ns.Labels)
            {
                labels[k] = v;
            }
        }

        labels[NamespaceInfo.NameLabel] = name;
        labels[NameLabel] = name;
        labels[NamespaceLabel] = name;
        return labels;
    }
}

/// <summary>One side of a packet: its address and every known resource at that address (the workload first, then network sets).</summary>
internal sealed class Peer
{
    public Peer(Identity[] identities, bool hasAddress, UInt128 address, AddressFamily family, int workloadIndex, Workload? workload = null)
    {
        Identities = identities;
        HasAddress = hasAddress;
        Address = address;
        Family = family;
        WorkloadIndex = workloadIndex;
        Workload = workload;
    }

    public Identity[] Identities { get; }
    public bool HasAddress { get; }
    public UInt128 Address { get; }
    public AddressFamily Family { get; }
    /// <summary>Index of the workload in the engine, or -1 for an outside address.</summary>
    public int WorkloadIndex { get; }
    public Workload? Workload { get; }
}

/// <summary>The protocol fields of a packet that rules test.</summary>
internal readonly record struct Packet(Protocol Protocol, int Port, int? SourcePort, int? IcmpType, int? IcmpCode, int IpVersion);
