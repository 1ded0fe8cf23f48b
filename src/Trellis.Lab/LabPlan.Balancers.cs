using System.Net;
using System.Text.Json.Serialization;
using Trellis.Engine;
using Finding = Trellis.Engine.Contracts.Finding;

namespace Trellis.Lab;

/// <summary>
/// Load balancer VM number <paramref name="Index"/> of the plan: namespace <c>PREFIX LAB-lbINDEX</c> with its planned
/// address on its cluster's network, plugged into that network's vSwitch like a node VM, running HAProxy and keepalived on
/// its rendered files.
/// </summary>
/// <param name="Vm">The VM's name, as the rendered files name it (e.g. <c>b-lb-1</c>).</param>
public sealed record LabBalancer(int Index, string Cluster, string Vm, string Owner, string Network, string Address, int PrefixLength, string? Gateway, int? Vlan, string VSwitch)
{
    /// <summary>The VM's haproxy.cfg, as <c>trellis render haproxy</c> writes it.</summary>
    [JsonIgnore]
    public string HaProxyConfig { get; init; } = "";

    /// <summary>The VM's keepalived.conf, as <c>trellis render keepalived</c> writes it.</summary>
    [JsonIgnore]
    public string KeepalivedConfig { get; init; } = "";

    /// <summary>Whether the VM leases its address from its network's Kea, as the node VMs there do, instead of taking <see cref="Address"/> (then the lease the plan expects).</summary>
    public bool Dhcp { get; init; }

    /// <summary>On a DHCP network, the MAC address of the reservation that pins the VM (<see cref="LoadBalancerVmRow.MacAddress"/>), given to its <c>eth0</c>; null when none does.</summary>
    public string? MacAddress { get; init; }
}

/// <summary>A VIP port the load balancer VMs serve: the API server's (to the control plane nodes' 6443) or a LoadBalancer service's (to the workers' NodePort).</summary>
/// <param name="Service">"API server", or the service as NAMESPACE/NAME.</param>
/// <param name="TargetPort">The port on the nodes HAProxy sends to: 6443, or the service's NodePort.</param>
/// <param name="Backends">The nodes HAProxy sends to, by name.</param>
public sealed record LabVip(string Cluster, string Address, int Port, string Protocol, string Service, int TargetPort, IReadOnlyList<string> Backends)
{
    /// <summary>Whether this is the API server's VIP port, whose path ends at the control plane nodes' listeners.</summary>
    public bool ApiServer => Service == LabPlan.ApiServerService;

    /// <summary>
    /// The workloads of <c>lab up -f</c>'s manifests that the service's selector picks and that run in the lab (the
    /// endpoints of its port in <see cref="LabPlan.Services"/>), by id: the only answers behind this VIP port that reach the
    /// service; empty without manifests, or for the API server.
    /// </summary>
    public IReadOnlyList<string> Workloads { get; init; } = [];
}

/// <summary>A control plane node VM (namespace number <paramref name="NodeIndex"/>) that runs the lab's stand-in for its API server on 6443.</summary>
public sealed record LabApiListener(int NodeIndex, string Cluster, string Node, string Address);

/// <summary>The outside client: namespace <c>PREFIX LAB-client</c> on a network of its own, whose router is the fabric.</summary>
public sealed record LabClient(string Prefix, string Address, string Router);

public sealed partial record LabPlan
{
    /// <summary>The service name the API server's VIP is listed under.</summary>
    public const string ApiServerService = "API server";

    /// <summary>The port of the API server, behind its VIP and on every control plane node.</summary>
    public const int ApiServerPort = 6443;

    /// <summary>Documentation networks (RFC 5737) the client's network is taken from: the first that overlaps none of the site's.</summary>
    private static readonly string[] ClientNetworks = ["198.51.100.0/24", "203.0.113.0/24", "192.0.2.0/24"];

    /// <summary>The load balancer VMs of the clusters brought up, in cluster order, numbered from 1.</summary>
    public IReadOnlyList<LabBalancer> Balancers { get; init; } = [];

    /// <summary>Every VIP port the load balancer VMs serve.</summary>
    public IReadOnlyList<LabVip> Vips { get; init; } = [];

    /// <summary>The control plane node VMs behind an API server VIP, each with a listener on 6443.</summary>
    public IReadOnlyList<LabApiListener> ApiListeners { get; init; } = [];

    /// <summary>The outside client; null when the plan has no load balancer VM (there is no VIP to probe).</summary>
    public LabClient? Client { get; init; }

    /// <summary>
    /// The VIP ports of <paramref name="plan"/>, each service port with the workloads that answer behind it: the endpoints of
    /// the cluster's Service of the same name and port in <see cref="Services"/> (none without manifests).
    /// </summary>
    public IReadOnlyList<LabVip> VipsWithWorkloads() => [.. Vips.Select(v => v.ApiServer ? v : v with
    {
        Workloads = [.. Services.Where(s => s.Cluster == v.Cluster && s.Id == v.Service)
            .SelectMany(s => s.Ports.Where(p => p.Port == v.Port && string.Equals(p.Protocol, v.Protocol, StringComparison.OrdinalIgnoreCase)))
            .SelectMany(p => p.Endpoints.Select(e => e.Workload)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
    })];

    /// <summary>
    /// <paramref name="plan"/> with the load balancer VMs of its clusters (SiteViews.LoadBalancers: clusters with HAProxy
    /// VMs; on a DHCP network they lease their addresses as the node VMs do), each with its haproxy.cfg and keepalived.conf rendered by the Engine (SiteViews.Render, as
    /// <c>trellis render</c>), the VIP ports they serve and the client that probes them. A file the Engine refuses to render refuses the lab with its findings.
    /// </summary>
    private static LabPlanAnswer WithBalancers(LabPlan plan, SiteState state, string? cluster)
    {
        // On a DHCP network the VMs lease their addresses from the network's Kea like the node VMs; the rendered files name the
        // addresses the plan expects, which are theirs only where a reservation pins them (LabLeases.NotPlanned says where not).
        var rows = SiteViews.LoadBalancers(state, cluster).Where(r => plan.Nodes.Any(n => n.Cluster == r.Cluster)).ToList();
        if (rows.Count == 0)
        {
            return new(plan, []);
        }

        var balancers = new List<LabBalancer>();
        var vips = new List<LabVip>();
        var listeners = new List<LabApiListener>();
        var findings = new List<Finding>();
        foreach (var row in rows)
        {
            var rendered = SiteViews.Render(state, ["haproxy", "keepalived"], row.Cluster, null);
            if (rendered.Files.Count == 0)
            {
                findings.AddRange(rendered.Findings);
                continue;
            }

            var files = rendered.Files.ToDictionary(f => f.Path, f => f.Content, StringComparer.Ordinal);
            var segment = plan.Networks.Single(s => s.Network == row.Network);
            foreach (var vm in row.Vms)
            {
                var dir = $"clusters/{row.Cluster}/load-balancers/{vm.Name}/";
                balancers.Add(new LabBalancer(balancers.Count + 1, row.Cluster, vm.Name, vm.Owner, row.Network, vm.Address, IPNetwork.Parse(segment.Prefix).PrefixLength,
                    segment.Gateway, segment.Vlan, segment.VSwitch)
                {
                    HaProxyConfig = files.GetValueOrDefault(dir + "haproxy.cfg", ""),
                    KeepalivedConfig = files.GetValueOrDefault(dir + "keepalived.conf", ""),
                    Dhcp = segment.Dhcp,
                    MacAddress = segment.Dhcp ? vm.MacAddress : null,
                });
            }

            var controlPlane = row.Nodes.Where(n => n.ControlPlane).ToList();
            if (row.ApiServerVip is { } apiVip)
            {
                vips.Add(new LabVip(row.Cluster, apiVip, ApiServerPort, "TCP", ApiServerService, ApiServerPort, [.. controlPlane.Select(n => n.Node)]));
                listeners.AddRange(controlPlane.Select(n => plan.Nodes.FirstOrDefault(x => x.Cluster == row.Cluster && x.Address == n.Address) is { } node
                    ? new LabApiListener(node.Index, row.Cluster, n.Node, n.Address)
                    : null).OfType<LabApiListener>());
            }

            var workers = row.Nodes.Where(n => !n.ControlPlane).Select(n => n.Node).ToList();
            // The rendered HAProxy proxies TCP only (a UDP or SCTP port is a comment in its file): those ports have no VIP path to probe.
            vips.AddRange(row.ServicePorts.Where(p => string.Equals(p.Protocol, "TCP", StringComparison.OrdinalIgnoreCase)).Select(p => new LabVip(row.Cluster, p.Vip, p.Port, p.Protocol, $"{p.Namespace}/{p.Service}", p.NodePort, workers)));
        }

        if (findings.Count > 0)
        {
            return new(null, findings);
        }

        var taken = plan.Networks.Select(s => IPNetwork.Parse(s.Prefix)).ToList();
        var client = ClientNetworks.Select(IPNetwork.Parse)
            .Where(c => !taken.Any(t => t.Contains(c.BaseAddress) || c.Contains(t.BaseAddress)))
            .Select(c => c.BaseAddress.GetAddressBytes())
            .Select(b => new LabClient($"{new IPAddress(b)}/24", new IPAddress([b[0], b[1], b[2], 2]).ToString(), new IPAddress([b[0], b[1], b[2], 1]).ToString()))
            .FirstOrDefault();
        return new(plan with { Balancers = balancers, Vips = vips, ApiListeners = listeners, Client = client }, []);
    }
}
