using System.Collections;
using System.Management.Automation;
using Trellis.Engine;

namespace Trellis.PowerShell;

/// <summary>
/// The four parameter shapes of New-AksHciNetworkSetting and New-AksHciClusterNetwork: DHCP or static, each with or without
/// -vlanID. Addresses and names are checked by the Engine when the network is stored (Set-AksHciConfig, New-AksHciClusterNetwork),
/// with the same findings as a YAML spec gets.
/// </summary>
public abstract class AksHciNetworkCmdlet : AksHciCmdlet
{
    protected const string Dhcp = "Dhcp";
    protected const string DhcpVlan = "DhcpVlan";
    protected const string Static = "Static";
    protected const string StaticVlan = "StaticVlan";

    [Parameter(Mandatory = true, ParameterSetName = Dhcp)]
    [Parameter(Mandatory = true, ParameterSetName = DhcpVlan)]
    [Parameter(Mandatory = true, ParameterSetName = Static)]
    [Parameter(Mandatory = true, ParameterSetName = StaticVlan)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    [Parameter(Mandatory = true, ParameterSetName = Dhcp)]
    [Parameter(Mandatory = true, ParameterSetName = DhcpVlan)]
    [Parameter(Mandatory = true, ParameterSetName = Static)]
    [Parameter(Mandatory = true, ParameterSetName = StaticVlan)]
    [ValidateNotNullOrEmpty]
    public string VswitchName { get; set; } = "";

    /// <summary>Static: the subnet's default gateway. DHCP (Trellis): the router the DHCP scope hands out.</summary>
    [Parameter(Mandatory = true, ParameterSetName = Static)]
    [Parameter(Mandatory = true, ParameterSetName = StaticVlan)]
    [Parameter(ParameterSetName = Dhcp)]
    [Parameter(ParameterSetName = DhcpVlan)]
    [ValidateNotNullOrEmpty]
    public string? Gateway { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = Static)]
    [Parameter(Mandatory = true, ParameterSetName = StaticVlan)]
    [Parameter(ParameterSetName = Dhcp)]
    [Parameter(ParameterSetName = DhcpVlan)]
    [AllowEmptyCollection]
    public string[] DnsServers { get; set; } = [];

    [Parameter(Mandatory = true, ParameterSetName = Static)]
    [Parameter(Mandatory = true, ParameterSetName = StaticVlan)]
    [ValidateNotNullOrEmpty]
    public string? IpAddressPrefix { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = Dhcp)]
    [Parameter(Mandatory = true, ParameterSetName = DhcpVlan)]
    [Parameter(Mandatory = true, ParameterSetName = Static)]
    [Parameter(Mandatory = true, ParameterSetName = StaticVlan)]
    [ValidateNotNullOrEmpty]
    public string VipPoolStart { get; set; } = "";

    [Parameter(Mandatory = true, ParameterSetName = Dhcp)]
    [Parameter(Mandatory = true, ParameterSetName = DhcpVlan)]
    [Parameter(Mandatory = true, ParameterSetName = Static)]
    [Parameter(Mandatory = true, ParameterSetName = StaticVlan)]
    [ValidateNotNullOrEmpty]
    public string VipPoolEnd { get; set; } = "";

    [Parameter(Mandatory = true, ParameterSetName = Static)]
    [Parameter(Mandatory = true, ParameterSetName = StaticVlan)]
    [ValidateNotNullOrEmpty]
    public string? K8sNodeIpPoolStart { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = Static)]
    [Parameter(Mandatory = true, ParameterSetName = StaticVlan)]
    [ValidateNotNullOrEmpty]
    public string? K8sNodeIpPoolEnd { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = DhcpVlan)]
    [Parameter(Mandatory = true, ParameterSetName = StaticVlan)]
    public int VlanID { get; set; }

    /// <summary>Trellis: the DHCP server's scope (New-TrellisDhcpScope, or any object or hashtable with its fields).</summary>
    [Parameter(ParameterSetName = Dhcp)]
    [Parameter(ParameterSetName = DhcpVlan)]
    [ValidateNotNull]
    public PSObject? DhcpScope { get; set; }

    /// <summary>The network as the parameters give it.</summary>
    protected AksHciVirtualNetwork Network()
    {
        var dhcp = ParameterSetName is Dhcp or DhcpVlan;
        return new AksHciVirtualNetwork
        {
            Name = Name,
            VswitchName = VswitchName,
            IpAllocationMethod = dhcp ? AksHciNames.Dhcp : AksHciNames.Static,
            IpAddressPrefix = IpAddressPrefix,
            Gateway = Gateway,
            DnsServers = DnsServers,
            Vlanid = ParameterSetName is DhcpVlan or StaticVlan ? VlanID : null,
            VipPoolStart = VipPoolStart,
            VipPoolEnd = VipPoolEnd,
            K8snodeIPPoolStart = K8sNodeIpPoolStart,
            K8snodeIPPoolEnd = K8sNodeIpPoolEnd,
            DhcpScope = DhcpScope is null ? null : DhcpScopes.From(DhcpScope),
        };
    }
}

/// <summary>New-AksHciNetworkSetting: the AKS host's virtual network, an object for Set-AksHciConfig -vnet (nothing is stored).</summary>
[Cmdlet(VerbsCommon.New, "AksHciNetworkSetting", DefaultParameterSetName = Dhcp)]
[OutputType(typeof(AksHciVirtualNetwork))]
public sealed class NewAksHciNetworkSettingCommand : AksHciNetworkCmdlet
{
    protected override void ProcessRecord() => WriteObject(Network());
}

/// <summary>
/// New-AksHciClusterNetwork: stores a network for workload clusters (the Engine checks it against the site first; -WhatIf shows
/// the plan) and writes it, for New-AksHciCluster -vnet.
/// </summary>
[Cmdlet(VerbsCommon.New, "AksHciClusterNetwork", DefaultParameterSetName = Dhcp, SupportsShouldProcess = true)]
[OutputType(typeof(AksHciVirtualNetwork))]
public sealed class NewAksHciClusterNetworkCommand : AksHciNetworkCmdlet
{
    protected override void ProcessRecord()
    {
        if (Apply(new AddClusterNetwork(AksHciViews.Setting(Network())), Name, "Add cluster network") is { Applied: true })
        {
            WriteObject(AksHciViews.Networks(ReadState()).Where(n => n.Name == Name && n.Kind == "cluster"), enumerateCollection: true);
        }
    }
}

/// <summary>Get-AksHciClusterNetwork [-name] [-clusterName]: the stored cluster networks, or the one a cluster is on.</summary>
[Cmdlet(VerbsCommon.Get, "AksHciClusterNetwork")]
[OutputType(typeof(AksHciVirtualNetwork))]
public sealed class GetAksHciClusterNetworkCommand : AksHciCmdlet
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ClusterNetworkNameCompleter))]
    public string? Name { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ClusterNameCompleter))]
    public string? ClusterName { get; set; }

    protected override void ProcessRecord()
    {
        if (ReadSite(ClusterName) is not { } state)
        {
            return;
        }

        var networks = AksHciViews.Networks(state).ToList();
        var used = ClusterName is null ? null : SiteViews.Clusters(state, ClusterName).Select(c => c.Network).FirstOrDefault();
        var selected = networks.Where(n => ClusterName is null ? n.Kind == "cluster" : n.Name == used).Where(n => Name is null || n.Name == Name).ToList();
        if (Name is not null && selected.Count == 0)
        {
            WriteOwnFindings(AksHciFindings.UnknownNetwork(Name, ClusterName, networks));
        }

        WriteObject(selected, enumerateCollection: true);
    }
}

/// <summary>Remove-AksHciClusterNetwork -name: refused while a cluster uses the network (NetworkInUse).</summary>
[Cmdlet(VerbsCommon.Remove, "AksHciClusterNetwork", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
public sealed class RemoveAksHciClusterNetworkCommand : AksHciCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ClusterNetworkNameCompleter))]
    public string Name { get; set; } = "";

    protected override void ProcessRecord() => Apply(new RemoveClusterNetwork(Name), Name, "Remove cluster network");
}

/// <summary>Reads a DHCP scope from whatever carries its fields: New-TrellisDhcpScope's object, a hashtable, a custom object.</summary>
internal static class DhcpScopes
{
    public static DhcpScopeSetting From(PSObject value) => value.BaseObject as DhcpScopeSetting ?? new DhcpScopeSetting(
        Text(value, "Subnet"), Text(value, "Start"), Text(value, "End"), Text(value, "LeaseDuration"),
        [.. Items(Field(value, "Reservations") ?? Field(value, "Reservation")).Select(r => r.BaseObject as DhcpReservationSetting
            ?? new DhcpReservationSetting(Text(r, "Name") ?? "", Text(r, "IpAddress"), Text(r, "MacAddress")))]);

    private static object? Field(PSObject value, string name)
    {
        if (value.BaseObject is IDictionary map)
        {
            foreach (DictionaryEntry e in map)
            {
                if (string.Equals(e.Key?.ToString(), name, StringComparison.OrdinalIgnoreCase))
                {
                    return e.Value;
                }
            }

            return null;
        }

        return value.Properties[name]?.Value;
    }

    private static string? Text(PSObject value, string name) => Field(value, name) switch
    {
        null => null,
        PSObject { BaseObject: var o } => o?.ToString(),
        var o => o.ToString(),
    };

    private static IEnumerable<PSObject> Items(object? value) => (value is PSObject p ? p.BaseObject : value) switch
    {
        null => [],
        IEnumerable list and not string and not IDictionary => list.Cast<object>().Select(PSObject.AsPSObject),
        var one => [PSObject.AsPSObject(one)],
    };
}
