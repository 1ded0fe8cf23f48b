using System.Globalization;
using Trellis.Core.Ipam;
using Trellis.Core.Model;
using Trellis.Core.Planning;

namespace Trellis.Core.Validation;

/// <summary>
/// On a Dhcp network the plan gives each VM an expected lease, and the rendered haproxy.cfg (control plane VMs on 6443,
/// workers for the NodePorts) and keepalived.conf (unicast peers, with two or more load balancer VMs) name those addresses.
/// The DHCP server leases in its own order, so only a VM that a reservation pins (<see cref="VmReservations"/>) is sure to
/// come up at the address the files name. A warning, never an error: Trellis accepts DHCP sites as the product does.
/// </summary>
public static class DhcpLeaseRules
{
    private const int NamesShown = 3;

    /// <summary>DhcpLeaseInConfig for every cluster (or <paramref name="cluster"/>) with HAProxy VMs on a Dhcp network whose files name an unreserved VM.</summary>
    public static IReadOnlyList<Finding> Check(SiteSpec spec, IReadOnlyList<ResolvedCluster> clusters, string? cluster = null)
    {
        var findings = new List<Finding>();
        var candidates = clusters.Where(c => (cluster is null || c.Name == cluster) && c.LoadBalancerVmCount > 0 && c.Network.Method == IpAllocationMethod.Dhcp).ToList();
        if (candidates.Count == 0)
        {
            return findings;
        }

        var pinned = VmReservations.Of(clusters);
        foreach (var c in candidates)
        {
            var unreserved = NamedVms(c).Where(vm => !pinned.ContainsKey(vm.Vm)).Select(vm => vm.VmName).ToList();
            if (unreserved.Count == 0)
            {
                continue;
            }

            var files = c.LoadBalancerVmCount > 1 ? "haproxy.cfg and keepalived.conf name" : "haproxy.cfg names";
            var reservations = unreserved.Take(NamesShown).Select(n => VmReservations.Name(c.Name, n)).ToList();
            var more = unreserved.Count > NamesShown ? $" and {(unreserved.Count - NamesShown).ToString(CultureInfo.InvariantCulture)} more" : "";
            findings.Add(Finding.Warning("DhcpLeaseInConfig", $"spec.clusters[{SiteValidator.IndexOf(spec, c.Name)}]",
                $"Cluster '{c.Name}' has HAProxy load balancer VMs on Dhcp network '{c.Network.Name}': its rendered {files} the addresses its VMs are expected to lease, "
                + $"but the DHCP server leases in its own order, so {Count(unreserved.Count)} ({string.Join(", ", unreserved.Take(NamesShown))}{more}) may come up at another address than the files name.",
                $"Pin each VM with a dhcpScope.reservations entry named CLUSTER-VMNAME and the VM's MAC address ({string.Join(", ", reservations)}{more}); the VM then holds the reserved address."));
        }

        return findings;
    }

    /// <summary>The VMs whose addresses the rendered files name: control plane VMs, workers when a TCP service port is balanced, load balancer VMs when they are peers.</summary>
    private static IEnumerable<(Owner Vm, string VmName)> NamedVms(ResolvedCluster c)
    {
        var tcp = c.Spec.Services.Any(s => s.Ports.Count > 0 && string.Equals(s.Protocol, "TCP", StringComparison.OrdinalIgnoreCase));
        return VmReservations.AddressedVms(c).Where(vm => vm.Vm switch
        {
            ControlPlaneVm => true,
            WorkerVm => tcp,
            LoadBalancerVm => c.LoadBalancerVmCount > 1,
            _ => false,
        });
    }

    private static string Count(int vms) => vms == 1 ? "1 VM" : $"{vms.ToString(CultureInfo.InvariantCulture)} VMs";
}
