using System.Net.Sockets;
using Trellis.Core.Addressing;
using Trellis.Policy.Calico;
using Trellis.Policy.Kubernetes;
using Trellis.Policy.Manifests;
using Trellis.Policy.Selectors;

namespace Trellis.Policy.Evaluation;

/// <summary>A label test: a Calico selector or a Kubernetes label selector.</summary>
internal abstract class LabelTest
{
    public abstract bool Matches(IReadOnlyDictionary<string, string> labels, bool isGlobal);

    /// <summary>The test as text: equal keys test alike (the connectivity matrix shares work on it).</summary>
    public abstract string Key { get; }

    public static LabelTest Of(Selector selector) => new CalicoTest(selector);

    public static LabelTest Of(LabelSelector selector) => new KubernetesTest(selector);

    private sealed class CalicoTest(Selector selector) : LabelTest
    {
        public override bool Matches(IReadOnlyDictionary<string, string> labels, bool isGlobal) => selector.Matches(labels, isGlobal);

        public override string Key => "calico:" + selector;
    }

    private sealed class KubernetesTest(LabelSelector selector) : LabelTest
    {
        public override bool Matches(IReadOnlyDictionary<string, string> labels, bool isGlobal) => selector.Matches(labels);

        public override string Key =>
            "k8s:" + string.Join("\u0002", selector.MatchLabels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}\u0001{l.Value}"))
            + "\u0003" + string.Join("\u0002", selector.MatchExpressions.Select(e => $"{e.Key}\u0001{e.Operator}\u0001{string.Join("\u0001", e.Values)}"));
    }
}

/// <summary>
/// The positive selector of an entity rule, as <c>getEndpointSelector</c> in libcalico-go builds it: the namespace part
/// (a namespaceSelector, or the policy's own namespace) ANDed with the service account and endpoint selectors.
/// </summary>
internal sealed class PositiveMatch
{
    public string? NamespaceEquals { get; init; }
    public LabelTest? NamespaceTest { get; init; }
    /// <summary>Kubernetes peers carry <c>projectcalico.org/orchestrator == 'k8s'</c>: only pods match them.</summary>
    public bool RequireWorkload { get; init; }
    public LabelTest? EndpointTest { get; init; }
    public HashSet<string>? AccountNames { get; init; }
    public LabelTest? AccountTest { get; init; }

    public bool Matches(Identity id)
    {
        if (RequireWorkload && !id.IsWorkload)
        {
            return false;
        }

        if (NamespaceEquals is not null && !string.Equals(id.Namespace, NamespaceEquals, StringComparison.Ordinal))
        {
            return false;
        }

        if (NamespaceTest is not null && !NamespaceTest.Matches(id.NamespaceLabels, id.IsGlobal))
        {
            return false;
        }

        if (AccountNames is not null && (id.ServiceAccount is null || !AccountNames.Contains(id.ServiceAccount)))
        {
            return false;
        }

        if (AccountTest is not null && !AccountTest.Matches(id.AccountLabels, id.IsGlobal))
        {
            return false;
        }

        return EndpointTest is null || EndpointTest.Matches(id.Labels, id.IsGlobal);
    }
}

internal readonly record struct Net(UInt128 First, UInt128 Last, AddressFamily Family)
{
    public static Net Of(Prefix p) => new(p.First, p.Last, p.Family);

    public bool Contains(Peer peer) => peer.HasAddress && peer.Family == Family && peer.Address >= First && peer.Address <= Last;
}

/// <summary>A compiled source or destination of a rule. Selectors match known resources; nets match packets.</summary>
internal sealed class EntityMatcher
{
    public static EntityMatcher Any { get; } = new();

    public PositiveMatch? Positive { get; init; }
    public LabelTest? Not { get; init; }
    public Net[] Nets { get; init; } = [];
    public Net[] NotNets { get; init; } = [];
    /// <summary>The Cilium reading of ipBlock: its nets never match a pod.</summary>
    public bool NetsOnlyOutside { get; init; }
    public PortMatch[] Ports { get; init; } = [];
    public PortMatch[] NotPorts { get; init; } = [];
    /// <summary>Set when the rule names a service: its backing pods (and as a destination, their target ports).</summary>
    public bool HasService { get; init; }
    public ServiceInfo? Service { get; init; }
    public bool IsDestination { get; init; }

    public bool IsAny => Positive is null && Not is null && Nets.Length == 0 && NotNets.Length == 0 && Ports.Length == 0 && NotPorts.Length == 0 && !HasService;

    public bool MatchesPorts(Peer peer, Protocol protocol, int? port)
    {
        if (Ports.Length > 0 && (port is not { } p || !PortIn(Ports, peer, protocol, p)))
        {
            return false;
        }

        return NotPorts.Length == 0 || port is not { } q || !PortIn(NotPorts, peer, protocol, q);
    }

    public bool MatchesPeer(Peer peer, Protocol protocol, int? port)
    {
        if (Nets.Length > 0)
        {
            if (NetsOnlyOutside && peer.WorkloadIndex >= 0)
            {
                return false;
            }

            var inside = false;
            for (var i = 0; i < Nets.Length && !inside; i++)
            {
                inside = Nets[i].Contains(peer);
            }

            if (!inside)
            {
                return false;
            }
        }

        for (var i = 0; i < NotNets.Length; i++)
        {
            if (NotNets[i].Contains(peer))
            {
                return false;
            }
        }

        if (Positive is not null)
        {
            var any = false;
            var ids = peer.Identities;
            for (var i = 0; i < ids.Length && !any; i++)
            {
                any = Positive.Matches(ids[i]);
            }

            if (!any)
            {
                return false;
            }
        }

        if (Not is not null)
        {
            var ids = peer.Identities;
            for (var i = 0; i < ids.Length; i++)
            {
                if (Not.Matches(ids[i].Labels, ids[i].IsGlobal))
                {
                    return false;
                }
            }
        }

        return !HasService || ServiceMatches(peer, protocol, port);
    }

    private bool ServiceMatches(Peer peer, Protocol protocol, int? port)
    {
        if (Service is null || peer.Workload is not { } w || !Service.Selects(w))
        {
            return false;
        }

        if (!IsDestination)
        {
            return true;
        }

        foreach (var sp in Service.Ports)
        {
            if (sp.Protocol == protocol && port is { } p && TargetIs(w, sp, p))
            {
                return true;
            }
        }

        return false;
    }

    private static bool TargetIs(Workload w, ServicePort sp, int port) =>
        int.TryParse(sp.TargetPort, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n)
            ? n == port
            : NamedPortIs(w, sp.TargetPort, sp.Protocol, port);

    private static bool PortIn(PortMatch[] ports, Peer peer, Protocol protocol, int port)
    {
        for (var i = 0; i < ports.Length; i++)
        {
            var m = ports[i];
            if (m.Name is null ? port >= m.First && port <= m.Last : NamedPortIs(peer.Workload, m.Name, protocol, port))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A named port resolves on the endpoint itself: one of its container ports with that name, protocol and number.</summary>
    public static bool NamedPortIs(Workload? w, string name, Protocol protocol, int port)
    {
        if (w is null)
        {
            return false;
        }

        var ports = w.Ports;
        for (var i = 0; i < ports.Count; i++)
        {
            var cp = ports[i];
            if (cp.Port == port && cp.Protocol == protocol && string.Equals(cp.Name, name, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
