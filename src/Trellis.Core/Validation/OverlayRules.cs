using Trellis.Core.Model;
using Trellis.Core.Planning;

namespace Trellis.Core.Validation;

/// <summary>A cluster's VXLAN (reference §4.2): Windows nodes take only VNI ≥ 4096 on UDP 4789, and Calico runs exactly that.</summary>
internal static class OverlayRules
{
    public static void Check(ValidationContext v, ClusterSpec c, string path)
    {
        if (c.PrimaryNetworkPlugin == NetworkPlugin.Calico)
        {
            if (c.VxlanVni is not (null or OverlayFacts.WindowsVni) || c.VxlanPort is not (null or OverlayFacts.WindowsVxlanPort))
            {
                v.Error("CalicoVxlanFixed", c.VxlanVni is not (null or OverlayFacts.WindowsVni) ? $"{path}.vxlanVni" : $"{path}.vxlanPort",
                    $"Cluster '{c.Name}' runs Calico, whose VXLAN is VNI {OverlayFacts.WindowsVni} on UDP {OverlayFacts.WindowsVxlanPort} (the only one Windows nodes accept).",
                    "Remove vxlanVni and vxlanPort: they set Flannel's VXLAN.");
            }

            return;
        }

        var vxlan = OverlayFacts.Vxlan(c);
        var windows = c.NodePools.FirstOrDefault(p => p.OsType == OsType.Windows);
        if (windows is not null && !OverlayFacts.TakesWindowsNodes(vxlan))
        {
            v.Error("VxlanNotForWindows", vxlan.Vni < OverlayFacts.WindowsVni ? $"{path}.vxlanVni" : $"{path}.vxlanPort",
                $"Cluster '{c.Name}' runs VXLAN VNI {vxlan.Vni} on UDP {vxlan.Port}, fixed when it was created; Windows nodes (pool '{windows.Name}') take only VNI {OverlayFacts.WindowsVni} or above on UDP {OverlayFacts.WindowsVxlanPort}.",
                $"A cluster's VXLAN cannot change under running pods: create it with vxlanVni: {OverlayFacts.WindowsVni} and vxlanPort: {OverlayFacts.WindowsVxlanPort} (the default) to have Windows nodes, or put the Windows nodes in a new cluster.");
        }
    }
}
