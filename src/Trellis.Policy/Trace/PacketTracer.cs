using System.Net;
using Trellis.Core.Addressing;
using Trellis.Core.Ipam;
using Trellis.Core.Model;
using Trellis.Core.Planning;
using Trellis.Policy.Evaluation;
using Trellis.Policy.Manifests;

namespace Trellis.Policy.Trace;

/// <summary>
/// Traces a packet through one cluster of the planned site: pod to pod on one node or across nodes (the VXLAN hop
/// with VNI, UDP port, outer node addresses and MTU), pod to a ClusterIP service (endpoint selection by kube-proxy),
/// and an external client to a LoadBalancer VIP through the HAProxy VMs (or MetalLB) and the NodePort to the pod —
/// with the policy verdict where it is decided and the Windows facts (HNS network, source VIP) on Windows nodes.
/// </summary>
public sealed class PacketTracer
{
    private readonly PolicyEngine _engine;
    private readonly ResolvedSite _site;
    private readonly ResolvedCluster _cluster;
    private readonly IReadOnlyList<Allocation> _allocations;
    private readonly ClusterTopology _topology;

    public PacketTracer(PolicyEngine engine, ResolvedSite site, string cluster, IReadOnlyList<Allocation> allocations)
    {
        _engine = engine;
        _site = site;
        _cluster = site.Clusters.FirstOrDefault(c => c.Name == cluster) ?? throw new ArgumentException($"The site has no cluster '{cluster}'.", nameof(cluster));
        _allocations = allocations;
        _topology = ClusterTopology.From(site, _cluster, allocations);
    }

    private bool Enforcing => _cluster.Spec.PrimaryNetworkPlugin == NetworkPlugin.Calico;

    public PacketTrace Trace(TraceRequest request)
    {
        var question = $"{request.From} => {request.To} : {request.Protocol}{(request.Protocol.HasPorts ? $" {request.Port}" : "")}{(request.IcmpType is { } t ? $" type {t}" : "")}{(request.IcmpCode is { } c ? $" code {c}" : "")}";
        var source = Resolve(request.From);
        var destination = Resolve(request.To);
        if ((source.Error ?? destination.Error) is { } error)
        {
            return new PacketTrace(question, false, [new TraceHop("(input)", error) { Dropped = true }]);
        }

        if (source.Service is { } sourceService)
        {
            return new PacketTrace(question, false,
            [
                new TraceHop("(input)", $"{request.From} is {(source.ViaLoadBalancer ? "a LoadBalancer VIP" : "the ClusterIP")} of service {sourceService.Id}: a Service receives connections but never starts one; trace from the workload or address that sends the packet.")
                {
                    Dropped = true,
                },
            ]);
        }

        var notes = new List<string>();
        if (!Enforcing)
        {
            notes.Add($"Cluster '{_cluster.Name}' runs Flannel, which enforces no network policy: every verdict here is 'allowed, not enforced'.");
        }

        if (destination.Service is { } service && destination.ViaLoadBalancer)
        {
            return FromLoadBalancer(question, source, service, destination.Address!, request, notes);
        }

        if (destination.Service is { } clusterIpService)
        {
            return ToClusterIp(question, source, clusterIpService, destination.Address, request, notes);
        }

        var hops = new List<TraceHop>();
        var verdict = PodToPod(hops, source, destination, request);
        return new PacketTrace(question, verdict.Allowed && !hops.Any(h => h.Dropped), hops) { Policy = verdict, Notes = notes };
    }

    private sealed record Place(Workload? Workload, int Replica, IPAddress? Address, PlacedNode? Node, ServiceInfo? Service, bool ViaLoadBalancer, string? Error)
    {
        public string Name => Workload is { } w ? (w.Addresses.Count > 1 ? $"{w.Id} replica {Replica + 1}" : w.Id) : Address?.ToString() ?? "?";
    }

    private Place Resolve(string text)
    {
        if (text.StartsWith("svc/", StringComparison.Ordinal))
        {
            var id = text[4..];
            var service = _engine.Set.Services.FirstOrDefault(s => s.Id == id);
            return service is null
                ? new Place(null, 0, null, null, null, false, $"No service '{id}' in the manifests.")
                : new Place(null, 0, PlannedClusterIp(service), null, service, false, null);
        }

        if (IpNumber.TryParse(text, out var address))
        {
            if (_engine.Set.WorkloadAt(address) is { } w)
            {
                var i = w.Addresses.ToList().IndexOf(address);
                return new Place(w, i, address, NodeOf(w, i), null, false, null);
            }

            if (ServicesAtVip(address) is [var lbService, ..])
            {
                return new Place(null, 0, address, null, lbService, true, null);
            }

            if (_engine.Set.Services.FirstOrDefault(s => Equals(PlannedClusterIp(s), address)) is { } cipService)
            {
                return new Place(null, 0, address, null, cipService, false, null);
            }

            return new Place(null, 0, address, _topology.Nodes.FirstOrDefault(n => n.Address.Equals(address)), null, false, null);
        }

        var workload = _engine.Set.Workload(text);
        if (workload is null)
        {
            return new Place(null, 0, null, null, null, false, $"No workload '{text}' in the manifests; write ns/name, ns/name[Kind], svc/ns/name or an IP address.");
        }

        return workload.Address is null
            ? new Place(workload, 0, null, null, null, false, $"Workload {workload.Id} has no address; give the site (--site) so that pods get addresses from the planned overlay.")
            : new Place(workload, 0, workload.Address, NodeOf(workload, 0), null, false, null);
    }

    private PlacedNode? NodeOf(Workload w, int replica) =>
        replica < w.Nodes.Count ? _topology.Nodes.FirstOrDefault(n => n.Name == w.Nodes[replica]) : null;

    private IPAddress? PlannedClusterIp(ServiceInfo service) =>
        _allocations.FirstOrDefault(a => a.Owner == PoolIds.ClusterIp(_cluster.Name, service.Namespace, service.Name)) is { } a
        && IpNumber.TryParse(a.Address, out var ip) ? ip : null;

    /// <summary>The LoadBalancer services whose planned VIP is <paramref name="vip"/> (several when they share it by key), as manifest services.</summary>
    private IReadOnlyList<ServiceInfo> ServicesAtVip(IPAddress vip)
    {
        var pool = SitePlanner.ServiceVipPool(_site, _cluster);
        var owner = _allocations.FirstOrDefault(a => a.Pool == pool && a.Address == vip.ToString())?.Owner;
        if (owner is null)
        {
            return [];
        }

        var specs = _cluster.Spec.Services.Where(s => owner == PoolIds.ServiceVipOwner(_cluster.Name, s));
        return specs.Select(s => _engine.Set.Services.FirstOrDefault(m => m.Namespace == s.Namespace && m.Name == s.Name)
                ?? new ServiceInfo(s.Namespace, s.Name, null, s.Ports.Select(p => new ServicePort(null, p, p.ToString(System.Globalization.CultureInfo.InvariantCulture), Protocol.Tcp)).ToList()))
            .ToList();
    }

    private Verdict PodToPod(List<TraceHop> hops, Place source, Place destination, TraceRequest request, IPAddress? seenSource = null)
    {
        var srcEndpoint = source.Workload is { } sw ? Endpoint.Of(sw, source.Address!) : Endpoint.External(seenSource ?? source.Address!);
        if (seenSource is not null && source.Workload is null)
        {
            srcEndpoint = Endpoint.External(seenSource);
        }

        var dstEndpoint = destination.Workload is { } dw ? Endpoint.Of(dw, destination.Address!) : Endpoint.External(destination.Address!);
        var verdict = _engine.Check(new Flow(srcEndpoint, dstEndpoint, request.Protocol, request.Port) { IcmpType = request.IcmpType, IcmpCode = request.IcmpCode });

        if (source.Workload is not null && source.Node is { } srcNode)
        {
            hops.Add(new TraceHop($"pod {source.Name} ({source.Address}) on node {srcNode.Name} ({srcNode.Address})",
                srcNode.Os == OsType.Windows ? "leaves through its HNS endpoint" : "leaves through its veth into the node")
            {
                Verdict = $"egress: {verdict.Egress.Explanation}",
                Dropped = !verdict.Egress.Allowed,
                Facts = WindowsFacts(srcNode),
            });
            if (!verdict.Egress.Allowed)
            {
                return verdict;
            }
        }

        var dstNode = destination.Node;
        var fromNode = source.Node ?? (seenSource is not null ? _topology.Nodes.FirstOrDefault(n => n.Address.Equals(seenSource)) : null);
        if (destination.Workload is null || dstNode is null)
        {
            hops.Add(new TraceHop($"node {fromNode?.Name ?? "?"}", $"routes {destination.Address} out of the cluster (NAT outgoing to the node address)"));
            return verdict;
        }

        if (fromNode is not null && fromNode.Name != dstNode.Name)
        {
            var (vni, port) = OverlayFacts.Vxlan(_cluster);
            hops.Add(new TraceHop($"node {fromNode.Name} ({fromNode.Address})",
                $"{destination.Address} is in node {dstNode.Name}'s pod subnet {dstNode.PodSubnet}: VXLAN encapsulation, outer {fromNode.Address} → {dstNode.Address}, UDP {port}, VNI {vni}, inner MTU {OverlayFacts.Mtu(_site)}"));
            hops.Add(new TraceHop($"node {dstNode.Name} ({dstNode.Address})", $"decapsulates VNI {vni} and routes {destination.Address} to the local pod")
            {
                Facts = WindowsFacts(dstNode),
            });
        }
        else
        {
            hops.Add(new TraceHop($"node {dstNode.Name} ({dstNode.Address})", $"{destination.Address} is a local pod of this node (pod subnet {dstNode.PodSubnet}): no encapsulation")
            {
                Facts = WindowsFacts(dstNode),
            });
        }

        hops.Add(new TraceHop($"pod {destination.Name} ({destination.Address})", verdict.Ingress.Allowed ? "receives the packet" : "the packet is dropped before the pod")
        {
            Verdict = $"ingress: {verdict.Ingress.Explanation}",
            Dropped = !verdict.Ingress.Allowed,
        });
        return verdict;
    }

    private IReadOnlyList<string> WindowsFacts(PlacedNode node) =>
        node.Os != OsType.Windows
            ? []
            : [
                $"Windows node: HNS network '{OverlayFacts.HnsNetworkName(_cluster)}' (Overlay, VSID {OverlayFacts.Vxlan(_cluster).Vni}), pod subnet {node.PodSubnet}, gateway {OverlayFacts.Gateway(node.PodSubnet)}",
                $"kube-proxy source VIP {OverlayFacts.SourceVip(node.PodSubnet)} (service traffic leaving this node is SNATed to it)",
            ];

    /// <summary>kube-proxy picks one endpoint at random per connection; the trace follows a stable choice from the flow's hash.</summary>
    private static (Workload Workload, int Replica, IPAddress Address, int Index, int Count)? PickEndpoint(PolicySet set, ServiceInfo service, string flowKey)
    {
        var endpoints = set.Workloads.Where(service.Selects).OrderBy(w => w.Id, StringComparer.Ordinal)
            .SelectMany(w => w.Addresses.Select((a, i) => (w, i, a))).ToList();
        if (endpoints.Count == 0)
        {
            return null;
        }

        var hash = 17;
        foreach (var c in flowKey)
        {
            hash = unchecked(hash * 31 + c);
        }

        var index = (int)((uint)hash % (uint)endpoints.Count);
        var (workload, replica, address) = endpoints[index];
        return (workload, replica, address, index, endpoints.Count);
    }

    private int TargetPort(ServiceInfo service, Workload endpoint, int port)
    {
        var servicePort = service.Ports.FirstOrDefault(p => p.Port == port);
        if (servicePort is null)
        {
            return port;
        }

        if (int.TryParse(servicePort.TargetPort, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number))
        {
            return number;
        }

        return endpoint.Ports.FirstOrDefault(p => p.Name == servicePort.TargetPort)?.Port ?? port;
    }

    private PacketTrace ToClusterIp(string question, Place source, ServiceInfo service, IPAddress? clusterIp, TraceRequest request, List<string> notes)
    {
        var hops = new List<TraceHop>();
        var at = $"ClusterIP {(clusterIp?.ToString() ?? "(not in the site plan)")}";
        if (source.Workload is null && source.Node is null)
        {
            hops.Add(new TraceHop($"client {source.Address}",
                $"{at} of service {service.Id} is reachable only from the cluster's pods and nodes: kube-proxy serves it on the nodes, and nothing routes the service CIDR from outside. Use a LoadBalancer VIP or a NodePort.")
            {
                Dropped = true,
            });
            return new PacketTrace(question, false, hops) { Notes = notes };
        }

        if (!service.Ports.Any(p => p.Port == request.Port && p.Protocol == request.Protocol))
        {
            var ports = string.Join(", ", service.Ports.Select(p => $"{p.Protocol} {p.Port}"));
            hops.Add(new TraceHop($"service {service.Id}",
                $"has no port {request.Protocol}{(request.Protocol.HasPorts ? $" {request.Port}" : "")} ({(ports.Length == 0 ? "it declares none" : $"it has {ports}")}): kube-proxy has no rule for it at {at}, so the packet goes nowhere")
            {
                Dropped = true,
            });
            return new PacketTrace(question, false, hops) { Notes = notes };
        }

        if (PickEndpoint(_engine.Set, service, $"{source.Address}:{request.Port}") is not { } endpoint)
        {
            hops.Add(new TraceHop($"service {service.Id}", "has no endpoints: no workload matches its selector") { Dropped = true });
            return new PacketTrace(question, false, hops) { Notes = notes };
        }

        var target = TargetPort(service, endpoint.Workload, request.Port);
        var node = source.Node;
        var destination = new Place(endpoint.Workload, endpoint.Replica, endpoint.Address, NodeOf(endpoint.Workload, endpoint.Replica), null, false, null);
        hops.Add(new TraceHop($"node {node?.Name ?? "?"} (kube-proxy)",
            $"DNAT ClusterIP {(clusterIp?.ToString() ?? "(not in the site plan)")}:{request.Port} → endpoint {destination.Name} {endpoint.Address}:{target} (endpoint {endpoint.Index + 1} of {endpoint.Count}, chosen per connection)"));
        var verdict = PodToPod(hops, source, destination, request with { Port = target });
        return new PacketTrace(question, verdict.Allowed && !hops.Any(h => h.Dropped), hops) { Policy = verdict, Notes = notes };
    }

    private PacketTrace FromLoadBalancer(string question, Place client, ServiceInfo service, IPAddress vip, TraceRequest request, List<string> notes)
    {
        var hops = new List<TraceHop>();
        // Services sharing one VIP by key listen on distinct protocols and ports: those pick the service.
        var atVip = ServicesAtVip(vip);
        var specs = _cluster.Spec.Services.Where(s => atVip.Any(m => m.Namespace == s.Namespace && m.Name == s.Name)).ToList();
        var spec = specs.FirstOrDefault(s => s.Ports.Contains(request.Port) && string.Equals(s.Protocol, request.Protocol.Name, StringComparison.OrdinalIgnoreCase));
        service = spec is null ? service : atVip.First(m => m.Namespace == spec.Namespace && m.Name == spec.Name);
        var nodePortText = spec is null ? null : _allocations.FirstOrDefault(a =>
            a.Owner == PoolIds.NodePort(_cluster.Name, spec.Namespace, spec.Name, spec.Protocol, request.Port))?.Address;
        if (nodePortText is null)
        {
            var listening = string.Join(", ", specs.SelectMany(s => s.Ports.Select(p => $"{s.Protocol.ToUpperInvariant()} {p} ({s.Namespace}/{s.Name})")));
            hops.Add(new TraceHop($"VIP {vip}", $"no LoadBalancer service listens on {request.Protocol}{(request.Protocol.HasPorts ? $" {request.Port}" : "")} of this VIP{(listening.Length > 0 ? $"; it serves {listening}" : "")}") { Dropped = true });
            return new PacketTrace(question, false, hops) { Notes = notes };
        }

        var nodePort = int.Parse(nodePortText, System.Globalization.CultureInfo.InvariantCulture);
        var workers = _topology.Workers.ToList();
        if (workers.Count == 0)
        {
            hops.Add(new TraceHop($"VIP {vip}", "the cluster has no worker nodes to take the NodePort") { Dropped = true });
            return new PacketTrace(question, false, hops) { Notes = notes };
        }

        var worker = workers[0];
        if (_topology.LoadBalancerVms.Count > 0)
        {
            var master = _topology.LoadBalancerVms[0];
            hops.Add(new TraceHop($"client {client.Address}", $"sends to VIP {vip}:{request.Port}; keepalived's MASTER {master.Name} ({master.Address}) holds the VIP (VRRP id {_topology.VirtualRouterId})"));
            hops.Add(new TraceHop($"HAProxy on {master.Name} ({master.Address})",
                $"frontend_{vip}_{request.Port} → backend_{vip}_{request.Port}: round robin over {workers.Count} workers' NodePort {nodePort}; this trace follows {worker.Name} ({worker.Address}:{nodePort}); the connection to the node comes from {master.Address}"));
        }
        else
        {
            hops.Add(new TraceHop($"client {client.Address}",
                $"sends to VIP {vip}:{request.Port}; with MetalLB in L2 mode one node answers ARP for it — this trace takes {worker.Name} ({worker.Address}); kube-proxy takes it on the service port"));
        }

        if (PickEndpoint(_engine.Set, service, $"{client.Address}:{request.Port}") is not { } endpoint)
        {
            hops.Add(new TraceHop($"node {worker.Name} (kube-proxy)", $"service {service.Id} has no endpoints: no workload matches its selector") { Dropped = true });
            return new PacketTrace(question, false, hops) { Notes = notes };
        }

        var target = TargetPort(service, endpoint.Workload, request.Port);
        var destination = new Place(endpoint.Workload, endpoint.Replica, endpoint.Address, NodeOf(endpoint.Workload, endpoint.Replica), null, false, null);
        hops.Add(new TraceHop($"node {worker.Name} ({worker.Address}) (kube-proxy)",
            $"DNAT NodePort {nodePort} → endpoint {destination.Name} {endpoint.Address}:{target} (endpoint {endpoint.Index + 1} of {endpoint.Count}); SNAT to {worker.Address} (externalTrafficPolicy: Cluster)")
        {
            Facts = WindowsFacts(worker),
        });
        notes.Add($"The pod sees the connection from node {worker.Name} ({worker.Address}), not from the client: policies must allow that source.");
        var fromNode = new Place(null, 0, worker.Address, worker, null, false, null);
        var verdict = PodToPod(hops, fromNode, destination, request with { Port = target }, worker.Address);
        return new PacketTrace(question, verdict.Allowed && !hops.Any(h => h.Dropped), hops) { Policy = verdict, Notes = notes };
    }
}
