using Trellis.Core.Model;
using Trellis.Core.Validation;

namespace Trellis.Engine;

/// <summary>
/// A change a front end asks of the site, as data: <see cref="TrellisEngine.PlanAsync"/> plans it,
/// <see cref="TrellisEngine.CommitAsync"/> writes the plan, <see cref="TrellisEngine.ExecuteAsync"/> does both.
/// Fields are names and numbers as an operator gives them; the Engine checks them and answers with findings.
/// </summary>
public abstract record SiteCommand
{
    private protected SiteCommand()
    {
    }

    /// <summary>The command's name in the audit log ("apply", "scale", "delete cluster", …).</summary>
    public abstract string CommandName { get; }
}

/// <summary>A command that edits the stored spec; the edited spec then takes the same validate-plan-commit path as apply.</summary>
public abstract record SpecCommand : SiteCommand
{
    private protected SpecCommand()
    {
    }

    /// <summary>The stored spec as this command changes it, or null with the findings that refuse it.</summary>
    internal abstract (SiteSpec? Spec, IReadOnlyList<Finding> Findings) Change(SiteSpec? stored);
}

/// <summary>Makes the stored site match <paramref name="Spec"/>, a spec read by <see cref="SiteSpecs"/>.</summary>
public sealed record ApplySpec(SpecDocument Spec) : SpecCommand
{
    internal ApplySpec(SiteSpec spec)
        : this(new SpecDocument(spec))
    {
    }

    public override string CommandName => "apply";

    internal override (SiteSpec?, IReadOnlyList<Finding>) Change(SiteSpec? stored) => (Spec.Spec, []);
}

/// <summary>Set-AksHciNodePool -count.</summary>
public sealed record ScaleNodePool(string Cluster, string NodePool, int Count) : SpecCommand
{
    public override string CommandName => "scale";

    internal override (SiteSpec?, IReadOnlyList<Finding>) Change(SiteSpec? stored) => SpecMutations.ScaleNodePool(stored, Cluster, NodePool, Count);
}

/// <summary>Set-AksHciCluster -controlPlaneNodeCount.</summary>
public sealed record ScaleControlPlane(string Cluster, int Count) : SpecCommand
{
    public override string CommandName => "scale";

    internal override (SiteSpec?, IReadOnlyList<Finding>) Change(SiteSpec? stored) => SpecMutations.ScaleControlPlane(stored, Cluster, Count);
}

/// <summary>Set-AksHciLoadBalancer -clusterName -loadBalancerCount: the HAProxy VMs of one cluster, which uses setting <paramref name="LoadBalancer"/>.</summary>
public sealed record ScaleLoadBalancer(string Cluster, string LoadBalancer, int Count) : SpecCommand
{
    public override string CommandName => "scale";

    internal override (SiteSpec?, IReadOnlyList<Finding>) Change(SiteSpec? stored) => SpecMutations.SetLoadBalancerCount(stored, Cluster, LoadBalancer, Count);
}

/// <summary>
/// New-AksHciNodePool (-vmSize, -osSku too). <paramref name="OsType"/> is "Linux" or "Windows"; without <paramref name="MaxPodCount"/> the pool gets
/// the default for its cluster and OS (<see cref="SpecFragments.DefaultMaxPodCount"/>: 110, or what a node's pod addresses hold).
/// </summary>
public sealed record AddNodePool(string Cluster, string Name, string OsType = "Linux", int Count = 1, int? MaxPodCount = null, string? VmSize = null, string? OsSku = null) : SpecCommand
{
    public override string CommandName => "add nodepool";

    internal override (SiteSpec?, IReadOnlyList<Finding>) Change(SiteSpec? stored)
    {
        Core.Model.OsType? os = OsType.ToUpperInvariant() switch { "LINUX" => Core.Model.OsType.Linux, "WINDOWS" => Core.Model.OsType.Windows, _ => null };
        if (os is not { } known)
        {
            return (null, [Finding.Error("InvalidValue", "osType", $"'{OsType}' is not one of Linux | Windows.", "Use one of: Linux | Windows.")]);
        }

        if (stored is null)
        {
            return SpecMutations.NoSite();
        }

        return SpecMutations.AddNodePool(stored, Cluster, new NodePoolSpec
        {
            Name = Name,
            OsType = known,
            OsSku = OsSku,
            Count = Count,
            VmSize = VmSize ?? SiteSpecDefaults.NodeVmSize,
            MaxPodCount = MaxPodCount ?? SpecFragments.DefaultMaxPodCount(stored, Cluster, known),
            MaxPodCountGiven = MaxPodCount is not null,
        });
    }
}

/// <summary>A Service of type LoadBalancer; services of one <paramref name="SharedIpKey"/> share a VIP on distinct ports.</summary>
public sealed record AddService(string Cluster, string Namespace, string Name, IReadOnlyList<int> Ports, string? SharedIpKey = null) : SpecCommand
{
    public override string CommandName => "add service";

    internal override (SiteSpec?, IReadOnlyList<Finding>) Change(SiteSpec? stored) =>
        SpecMutations.AddService(stored, Cluster, new ServiceSpec { Namespace = Namespace, Name = Name, Ports = [.. Ports], SharedIpKey = SharedIpKey });
}

public sealed record DeleteCluster(string Cluster) : SpecCommand
{
    public override string CommandName => "delete cluster";

    internal override (SiteSpec?, IReadOnlyList<Finding>) Change(SiteSpec? stored) => SpecMutations.DeleteCluster(stored, Cluster);
}

public sealed record DeleteNodePool(string Cluster, string NodePool) : SpecCommand
{
    public override string CommandName => "delete nodepool";

    internal override (SiteSpec?, IReadOnlyList<Finding>) Change(SiteSpec? stored) => SpecMutations.DeleteNodePool(stored, Cluster, NodePool);
}

public sealed record DeleteService(string Cluster, string Namespace, string Name) : SpecCommand
{
    public override string CommandName => "delete service";

    internal override (SiteSpec?, IReadOnlyList<Finding>) Change(SiteSpec? stored) => SpecMutations.RemoveService(stored, Cluster, Namespace, Name);
}

/// <summary>Rolling upgrade of one cluster to <paramref name="Version"/>, one VM per transaction; resumes an interrupted one.</summary>
public sealed record Upgrade(string Cluster, string Version) : SiteCommand
{
    public override string CommandName => "upgrade";
}

/// <summary>
/// Removes the whole site and releases every address it holds, in one transaction. <paramref name="Name"/> must be the stored
/// site's: the name is the operator's proof of which site they mean to destroy.
/// </summary>
public sealed record DeleteSite(string Name) : SiteCommand
{
    public override string CommandName => "delete site";
}
