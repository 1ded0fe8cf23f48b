using Trellis.Engine.Contracts;

namespace Trellis.Lab;

/// <summary>
/// What the leases of a lab on a DHCP network mean for the rendered HAProxy and keepalived files, which name the addresses
/// the plan expects: HAProxy's backends (the control plane VMs behind the API server VIP, the workers behind the service
/// VIPs) and keepalived's unicast peers (the load balancer VMs, when a cluster has two or more).
/// </summary>
public static class LabLeases
{
    /// <summary>
    /// LabLeaseNotPlanned (a warning) for each VM that the rendered files name at one address and that leased another from the
    /// lab's Kea: there, HAProxy sends to an address no VM holds, or keepalived advertises from or to one. A DHCP reservation
    /// named after the VM (<c>CLUSTER-VMNAME</c>, with its MAC address) pins it where the files expect it.
    /// </summary>
    public static IReadOnlyList<Finding> NotPlanned(LabPlan plan, IReadOnlyList<LabLease> nodes, IReadOnlyList<LabLease> balancers)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(balancers);
        var findings = new List<Finding>();
        foreach (var lease in nodes.Where(l => l.Address != l.Planned))
        {
            var node = plan.Nodes.Single(n => n.Index == lease.Index);
            if (plan.Vips.Any(v => v.Cluster == node.Cluster && v.Backends.Contains(node.Node, StringComparer.Ordinal)))
            {
                findings.Add(Finding(lease, node.Cluster, node.Node, "haproxy.cfg names it as a backend there: HAProxy sends to an address no VM of the cluster holds"));
            }
        }

        foreach (var lease in balancers.Where(l => l.Address != l.Planned))
        {
            var balancer = plan.Balancers.Single(b => b.Index == lease.Index);
            if (plan.Balancers.Count(b => b.Cluster == balancer.Cluster) > 1)
            {
                findings.Add(Finding(lease, balancer.Cluster, balancer.Vm, "keepalived.conf names it as unicast_src_ip and its peers' as unicast_peer there: VRRP adverts go from and to an address the VM does not hold"));
            }
        }

        return findings;
    }

    private static Finding Finding(LabLease lease, string cluster, string vm, string consequence) =>
        Engine.Contracts.Finding.Warning("LabLeaseNotPlanned", "network",
            $"{lease.Owner} leased {lease.Address} from the lab's Kea, but the plan expects it at {lease.Planned} and the rendered {consequence}.",
            $"Pin it: add a dhcpScope reservation named '{cluster}-{vm}' with the VM's MAC address (the site then plans it at the reserved address), apply the site, and bring the lab up again.");
}
