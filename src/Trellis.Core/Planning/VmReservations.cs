using Trellis.Core.Ipam;
using Trellis.Core.Model;

namespace Trellis.Core.Planning;

/// <summary>
/// DHCP reservations named after a VM: a reservation of a Dhcp cluster network named <c>CLUSTER-VMNAME</c> (the Kubernetes
/// node name, <c>edge-control-plane-1</c>, <c>edge-linuxpool-2</c>, or the load balancer VM's, <c>edge-load-balancer-1</c>)
/// pins that VM at the reserved address. The DHCP server then leases the VM the address the rendered HAProxy and keepalived
/// files name, instead of whatever address it picks next. Names compare ordinally, as they are stored.
/// </summary>
public static class VmReservations
{
    /// <summary>The reservation name that pins <paramref name="vm"/> of <paramref name="cluster"/>: <c>CLUSTER-VMNAME</c>.</summary>
    public static string Name(string cluster, string vmName) => $"{cluster}-{vmName}";

    /// <summary>The VMs of a cluster that take an address of its network: control plane, load balancer and worker VMs, with their names.</summary>
    public static IEnumerable<(Owner Vm, string VmName)> AddressedVms(ResolvedCluster c)
    {
        foreach (var (name, owner, _) in SitePlanner.KubernetesNodes(c).Where(k => k.Owner is ControlPlaneVm))
        {
            yield return (owner, name);
        }

        for (var i = 1; i <= c.LoadBalancerVmCount; i++)
        {
            var vm = PoolIds.LoadBalancerVm(c.Name, i);
            yield return (vm, vm.VmName);
        }

        foreach (var (name, owner, _) in SitePlanner.KubernetesNodes(c).Where(k => k.Owner is WorkerVm))
        {
            yield return (owner, name);
        }
    }

    /// <summary>
    /// The reservation that pins each VM of the site's clusters on Dhcp networks; a VM without one is absent. Should two VMs
    /// map to one name (cluster <c>a</c>'s pool <c>b-pool</c> and cluster <c>a-b</c>'s pool <c>pool</c>), the first cluster's
    /// VM takes the reservation.
    /// </summary>
    public static IReadOnlyDictionary<Owner, ResolvedReservation> Of(ResolvedSite site) => Of(site.Clusters);

    /// <inheritdoc cref="Of(ResolvedSite)"/>
    public static IReadOnlyDictionary<Owner, ResolvedReservation> Of(IEnumerable<ResolvedCluster> clusters)
    {
        var pinned = new Dictionary<Owner, ResolvedReservation>();
        var taken = new HashSet<(string Network, string Name)>();
        foreach (var c in clusters)
        {
            if (c.Network.Method != IpAllocationMethod.Dhcp || c.Network.Dhcp is not { Reservations.Count: > 0 } scope)
            {
                continue;
            }

            var byName = new Dictionary<string, ResolvedReservation>(StringComparer.Ordinal);
            foreach (var r in scope.Reservations)
            {
                byName.TryAdd(r.Name, r);
            }

            foreach (var (vm, vmName) in AddressedVms(c))
            {
                var name = Name(c.Name, vmName);
                if (byName.TryGetValue(name, out var r) && taken.Add((c.Network.Name, name)))
                {
                    pinned[vm] = r;
                }
            }
        }

        return pinned;
    }

    /// <summary>A reservation's MAC address with colons (<c>02:1E:2B:78:00:01</c>), as <c>ip link set address</c> takes it; validation stores it with dashes.</summary>
    public static string ColonMac(ResolvedReservation r) => r.MacAddress.Replace('-', ':');
}
