using System.Globalization;
using System.Text;
using Trellis.Core.Model;
using Trellis.Rendering.Emit;

namespace Trellis.Engine;

/// <summary>
/// Defaults of the deployment script's parameters. AksHci: the folders Set-AksHciConfig requires (the script's
/// <c>param()</c> defaults, which the operator can override when running it). AksArc: the resource group and custom
/// location the <c>az</c> commands name (else the script requires RESOURCE_GROUP and CUSTOM_LOCATION in its environment).
/// </summary>
public sealed record DeploymentScriptOptions(string? WorkingDir = null, string? CloudConfigLocation = null, string? ImageDir = null,
    string? ResourceGroup = null, string? CustomLocation = null);

/// <summary>
/// The script that deploys a stored site on the real product: the commands of <see cref="DeploymentPlan"/> written out as
/// AksHci cmdlets (PowerShell), or as <c>az</c> commands for an AksArc site (POSIX shell). Every value reaches the text only
/// through the format's quoting (<see cref="PowerShellText"/>, <see cref="ShellText"/>); names of variables are the
/// writer's own.
/// </summary>
internal static class DeploymentScriptWriter
{
    public const string AksHciFile = "deploy-akshci.ps1";
    public const string AksArcFile = "deploy-aksarc.sh";

    public const string DefaultWorkingDir = @"C:\ClusterStorage\Volume1\ImageStore";
    public const string DefaultCloudConfigLocation = @"C:\ClusterStorage\Volume1\Config";
    public const string DefaultImageDir = @"C:\ClusterStorage\Volume1\Images";

    public static (string Path, string Content) Write(SiteSpec spec, long revision, DeploymentScriptOptions options) =>
        spec.Model == SiteModel.AksArc ? (AksArcFile, AksArc(spec, revision, options)) : (AksHciFile, AksHci(spec, revision, options));

    private static string Ps(string value) => PowerShellText.Quote(value);

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A PowerShell command line: the cmdlet, then its parameters in the order given, each value already emitted.</summary>
    private sealed class PsCall(string cmdlet)
    {
        private readonly StringBuilder text = new(cmdlet);

        public PsCall Arg(string name, string? value) => value is null ? this : Raw(name, Ps(value));

        public PsCall Arg(string name, long? value) => value is null ? this : Raw(name, Number(value.Value));

        public PsCall Args(string name, IReadOnlyList<string> values) => values.Count == 0 ? this : Raw(name, string.Join(", ", values.Select(Ps)));

        public PsCall Raw(string name, string emitted)
        {
            text.Append(" -").Append(name).Append(' ').Append(emitted);
            return this;
        }

        public PsCall Splat(string variable)
        {
            text.Append(" @").Append(variable);
            return this;
        }

        public override string ToString() => text.ToString();
    }

    /// <summary>A hashtable literal of fixed keys (the writer's) and emitted values; null entries are left out.</summary>
    private static string Table(params (string Key, string? Emitted)[] entries) =>
        "@{ " + string.Join("; ", entries.Where(e => e.Emitted is not null).Select(e => $"{e.Key} = {e.Emitted}")) + " }";

    private static string? PsList(IReadOnlyList<string> values) => values.Count == 0 ? null : "@(" + string.Join(", ", values.Select(Ps)) + ")";

    private static string? PsText(string? value) => value is null ? null : Ps(value);

    private static string? PsNumber(long? value) => value is null ? null : Number(value.Value);

    private static string AksHci(SiteSpec spec, long revision, DeploymentScriptOptions options)
    {
        var w = new PsWriter();
        void Line(string line = "") => w.Line(line);

        Line(PowerShellText.Comment($"Deployment of AksHci site '{spec.Name}', written by Trellis from revision {revision} of its state."));
        Line("# Run it on the AKS host with the AksHci module. In Trellis' own module (Import-Module Trellis) it rehearses the deployment");
        Line("# against a Trellis state and plans the same addresses; what AksHci has no parameter for is passed only there ($trellis).");
        Line("param(");
        Line($"    [string] $WorkingDir = {Ps(options.WorkingDir ?? DefaultWorkingDir)},");
        Line($"    [string] $CloudConfigLocation = {Ps(options.CloudConfigLocation ?? DefaultCloudConfigLocation)},");
        Line($"    [string] $ImageDir = {Ps(options.ImageDir ?? DefaultImageDir)}");
        Line(")");
        Line();
        Line("$ErrorActionPreference = 'Stop'");
        Line("$trellis = [bool](Get-Module -Name Trellis)");

        var networks = new Dictionary<string, string>(StringComparer.Ordinal);
        var loadBalancers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var command in DeploymentPlan.For(spec))
        {
            switch (command)
            {
                case SetHostConfig host:
                    Line();
                    Line("# The AKS host: its network and configuration.");
                    Network(w, "New-AksHciNetworkSetting", "vnet", host.Vnet);
                    Line("$extra = if ($trellis) { " + Table(("SiteName", Ps(host.SiteName ?? spec.Name)),
                        ("PlanningSetting", host.Settings is { Count: > 0 } settings ? Table([.. settings.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => (Ps(k.Key), (string?)Ps(k.Value)))]) : null)) + " } else { @{} }");
                    Line(new PsCall("Set-AksHciConfig").Raw("workingDir", "$WorkingDir").Raw("cloudConfigLocation", "$CloudConfigLocation").Raw("imageDir", "$ImageDir")
                        .Raw("vnet", "$vnet").Arg("cloudServiceCidr", host.CloudServiceCidr).Splat("extra").ToString());
                    Line("Install-AksHci");
                    break;
                case AddClusterNetwork network:
                    var variable = $"clusterNetwork{networks.Count + 1}";
                    networks[network.Network.Name] = variable;
                    Line();
                    Line(PowerShellText.Comment($"Cluster network {network.Network.Name}."));
                    Network(w, "New-AksHciClusterNetwork", variable, network.Network);
                    break;
                case AddCluster add:
                    Cluster(w, add.Cluster, networks, loadBalancers);
                    break;
                case ScaleLoadBalancer scale:
                    Line(new PsCall("Set-AksHciLoadBalancer").Arg("clusterName", scale.Cluster).Arg("loadBalancerCount", scale.Count).ToString());
                    break;
                case AddLoadBalancerPool pool:
                    w.Trellis(new PsCall("New-TrellisLoadBalancerPool").Arg("ClusterName", pool.Cluster).Arg("Name", pool.Name).Args("Address", pool.Addresses)
                        .Arg("AdvertiseMode", pool.AdvertiseMode).ToString());
                    break;
                case AddBgpPeer peer:
                    w.Trellis(new PsCall("New-TrellisBgpPeer").Arg("ClusterName", peer.Cluster).Arg("Name", peer.Name).Arg("MyAsn", peer.MyAsn)
                        .Arg("PeerAsn", peer.PeerAsn).Arg("PeerAddress", peer.PeerAddress).Arg("PeerPort", peer.PeerPort).ToString());
                    break;
                case AddService service:
                    w.Trellis(new PsCall("New-TrellisService").Arg("ClusterName", service.Cluster).Arg("Namespace", service.Namespace).Arg("Name", service.Name)
                        .Raw("Port", string.Join(", ", service.Ports.Select(p => Number(p)))).Arg("SharedIpKey", service.SharedIpKey).ToString());
                    break;
                default:
                    throw new InvalidOperationException($"The deployment script has no cmdlet for {command.GetType().Name}.");
            }
        }

        w.CloseTrellis();
        return PowerShellText.Script(w.ToString());
    }

    /// <summary>The script's lines; a cluster's Kubernetes objects (Trellis' cmdlets) go in one <c>if ($trellis)</c> block after it.</summary>
    private sealed class PsWriter
    {
        private readonly StringBuilder text = new();
        private bool trellisOpen;

        public void Line(string line = "") => text.Append(line).Append('\n');

        public void Trellis(string call)
        {
            if (!trellisOpen)
            {
                Line("if ($trellis) {");
                Line("    # Kubernetes objects: create these with kubectl on the real host (Trellis plans their addresses here).");
                trellisOpen = true;
            }

            Line("    " + call);
        }

        public void CloseTrellis()
        {
            if (trellisOpen)
            {
                Line("}");
                trellisOpen = false;
            }
        }

        public override string ToString() => text.ToString();
    }

    /// <summary>
    /// New-AksHciNetworkSetting / New-AksHciClusterNetwork in the parameter set of the network's shape. A DHCP network's gateway,
    /// DNS servers and scope (the DHCP server's options, which AksHci does not take) are passed only to Trellis.
    /// </summary>
    private static void Network(PsWriter w, string cmdlet, string variable, NetworkSetting n)
    {
        var dhcp = string.Equals(n.IpAllocationMethod, "DHCP", StringComparison.OrdinalIgnoreCase);
        var call = new PsCall(cmdlet).Arg("name", n.Name).Arg("vswitchName", n.VswitchName);
        if (dhcp)
        {
            var scope = n.DhcpScope is { } d
                ? "(" + new PsCall("New-TrellisDhcpScope").Arg("Subnet", d.Subnet).Arg("Start", d.Start).Arg("End", d.End).Arg("LeaseDuration", d.LeaseDuration)
                    .Raw("Reservation", d.Reservations.Count == 0 ? "@()" : "@(" + string.Join(", ", d.Reservations.Select(r =>
                        Table(("name", Ps(r.Name)), ("ipAddress", PsText(r.IpAddress)), ("macAddress", PsText(r.MacAddress))))) + ")") + ")"
                : null;
            w.Line("$extra = if ($trellis) { " + Table(("Gateway", PsText(n.Gateway)), ("DnsServers", PsList(n.DnsServers)), ("DhcpScope", scope)) + " } else { @{} }");
        }
        else
        {
            call.Arg("ipAddressPrefix", n.IpAddressPrefix).Arg("gateway", n.Gateway).Args("dnsServers", n.DnsServers)
                .Arg("k8sNodeIpPoolStart", n.K8sNodeIpPoolStart).Arg("k8sNodeIpPoolEnd", n.K8sNodeIpPoolEnd);
        }

        call.Arg("vipPoolStart", n.VipPoolStart).Arg("vipPoolEnd", n.VipPoolEnd).Arg("vlanID", n.VlanId);
        if (dhcp)
        {
            call.Splat("extra");
        }

        w.Line($"${variable} = {call}");
    }

    /// <summary>
    /// New-AksHciCluster in its node-pool parameter set with the first node pool, then New-AksHciNodePool for the others; its load
    /// balancer setting (New-AksHciLoadBalancerSetting) before the first cluster that uses it.
    /// </summary>
    private static void Cluster(PsWriter w, ClusterSetting c, Dictionary<string, string> networks, Dictionary<string, string> loadBalancers)
    {
        w.CloseTrellis();
        w.Line();
        w.Line(PowerShellText.Comment($"Cluster {c.Name}."));
        if (c.LoadBalancer is { } lb && !loadBalancers.ContainsKey(lb.Name))
        {
            loadBalancers[lb.Name] = $"loadBalancer{loadBalancers.Count + 1}";
            // SKU none runs no load balancer VM: the module's documented form names only the setting and its SKU.
            var setting = new PsCall("New-AksHciLoadBalancerSetting").Arg("name", lb.Name).Arg("loadBalancerSku", lb.LoadBalancerSku);
            w.Line($"${loadBalancers[lb.Name]} = " + (string.Equals(lb.LoadBalancerSku, "none", StringComparison.OrdinalIgnoreCase)
                ? setting : setting.Arg("vmSize", lb.VmSize).Arg("loadBalancerCount", lb.LoadBalancerCount)));
        }

        var more = c.NodePools.Skip(1).ToList();
        var additional = more.Count == 0 ? null : "@(" + string.Join(", ", more.Select(p => Table(("name", Ps(p.Name)), ("osType", Ps(p.OsType)), ("osSku", PsText(p.OsSku)),
            ("count", Number(p.Count)), ("vmSize", PsText(p.VmSize)), ("maxPodCount", PsNumber(p.MaxPodCount))))) + ")";
        w.Line("$extra = if ($trellis) { " + Table(("PodCidr", PsText(c.PodCidr)), ("ServiceCidr", PsText(c.ServiceCidr)), ("VxlanVni", PsNumber(c.VxlanVni)),
            ("VxlanPort", PsNumber(c.VxlanPort)), ("VirtualRouterId", PsNumber(c.VirtualRouterId)), ("AdditionalNodePool", additional)) + " } else { @{} }");
        var call = new PsCall("New-AksHciCluster").Arg("name", c.Name);
        var first = c.NodePools.Count > 0 ? c.NodePools[0] : null;
        if (first is not null)
        {
            call.Arg("nodePoolName", first.Name).Arg("nodeCount", first.Count).Arg("osType", first.OsType).Arg("osSku", first.OsSku).Arg("nodeVmSize", first.VmSize)
                .Arg("nodeMaxPodCount", first.MaxPodCount);
        }
        else
        {
            call.Raw("linuxNodeCount", "0").Raw("windowsNodeCount", "0");
        }

        call.Arg("kubernetesVersion", c.KubernetesVersion).Arg("controlPlaneNodeCount", c.ControlPlaneNodeCount).Arg("controlPlaneVmSize", c.ControlPlaneVmSize);
        if (c.LoadBalancer is { } used)
        {
            call.Raw("loadBalancerSettings", "$" + loadBalancers[used.Name]);
        }

        if (c.Vnet is { } vnet && networks.TryGetValue(vnet, out var network))
        {
            call.Raw("vnet", "$" + network);
        }

        w.Line(call.Arg("primaryNetworkPlugin", c.PrimaryNetworkPlugin).Splat("extra").ToString());
        // The cluster's other pools: AksHci adds them one by one; the rehearsal created them with the cluster (-AdditionalNodePool), in one
        // change as the spec does, so that they take the same addresses (a pool added later comes after the cluster's update reserve).
        if (more.Count > 0)
        {
            w.Line("if (-not $trellis) {");
            foreach (var p in more)
            {
                w.Line("    " + new PsCall("New-AksHciNodePool").Arg("clusterName", c.Name).Arg("name", p.Name).Arg("count", p.Count).Arg("osType", p.OsType).Arg("osSku", p.OsSku)
                    .Arg("vmSize", p.VmSize).Arg("maxPodCount", p.MaxPodCount));
            }

            w.Line("}");
        }
    }

    private static string AksArc(SiteSpec spec, long revision, DeploymentScriptOptions options)
    {
        var s = new StringBuilder();
        void Line(string line = "") => s.Append(line).Append('\n');
        string Sh(string value, string what) => ShellText.Quote(value, AksArcFile, what);

        Line("#!/bin/sh");
        Line(ShellText.Comment($"Deployment of AKS Arc site '{spec.Name}', written by Trellis from revision {revision} of its state."));
        Line("# Needs the Azure CLI with the stack-hci-vm, aksarc, connectedk8s and k8s-runtime extensions, signed in (az login).");
        Line("# RESOURCE_GROUP and CUSTOM_LOCATION (the Azure Local custom location's id or name) name where the resources go.");
        Line("set -eu");
        Line(options.ResourceGroup is { } rg
            ? $"if [ -z \"${{RESOURCE_GROUP:-}}\" ]; then RESOURCE_GROUP={Sh(rg, "resource group")}; fi"
            : ": \"${RESOURCE_GROUP:?set RESOURCE_GROUP to the resource group}\"");
        Line(options.CustomLocation is { } cl
            ? $"if [ -z \"${{CUSTOM_LOCATION:-}}\" ]; then CUSTOM_LOCATION={Sh(cl, "custom location")}; fi"
            : ": \"${CUSTOM_LOCATION:?set CUSTOM_LOCATION to the custom location}\"");

        if (spec.LogicalNetwork is { } lnet)
        {
            Line();
            Line(ShellText.Comment($"Logical network {lnet.Name}."));
            var create = new StringBuilder("az stack-hci-vm network lnet create --resource-group \"$RESOURCE_GROUP\" --custom-location \"$CUSTOM_LOCATION\"");
            void Opt(string name, string? value)
            {
                if (value is not null)
                {
                    create.Append(" --").Append(name).Append(' ').Append(Sh(value, name));
                }
            }

            void Opts(string name, IReadOnlyList<string> values)
            {
                if (values.Count > 0)
                {
                    create.Append(" --").Append(name);
                    foreach (var v in values)
                    {
                        create.Append(' ').Append(Sh(v, name));
                    }
                }
            }

            Opt("name", lnet.Name);
            Opt("vm-switch-name", lnet.VmSwitchName);
            Opt("ip-allocation-method", lnet.IpAllocationMethod.ToString());
            Opts("address-prefixes", lnet.AddressPrefixes);
            Opt("gateway", lnet.Gateway);
            Opts("dns-servers", lnet.DnsServers);
            Opt("ip-pool-start", lnet.IpPoolStart);
            Opt("ip-pool-end", lnet.IpPoolEnd);
            if (lnet.Vlan is { } vlan)
            {
                create.Append(" --vlan ").Append(Number(vlan));
            }

            Line(create.ToString());
            Line($"lnet_id=$(az stack-hci-vm network lnet show --resource-group \"$RESOURCE_GROUP\" --name {Sh(lnet.Name, "name")} --query id --output tsv)");
        }

        foreach (var c in spec.Clusters)
        {
            Line();
            Line(ShellText.Comment($"Cluster {c.Name}."));
            var first = c.NodePools.FirstOrDefault(p => p.OsType == OsType.Linux) ?? (c.NodePools.Count > 0 ? c.NodePools[0] : null);
            var create = new StringBuilder($"az aksarc create --resource-group \"$RESOURCE_GROUP\" --custom-location \"$CUSTOM_LOCATION\" --name {Sh(c.Name, "cluster name")}");
            if (spec.LogicalNetwork is not null)
            {
                create.Append(" --vnet-ids \"$lnet_id\"");
            }

            create.Append(" --control-plane-count ").Append(Number(c.ControlPlaneNodeCount));
            if (c.ControlPlaneIp is { } ip)
            {
                create.Append(" --control-plane-ip ").Append(Sh(ip, "control plane IP"));
            }

            create.Append(" --control-plane-vm-size ").Append(Sh(c.ControlPlaneVmSize, "control plane VM size"));
            create.Append(" --kubernetes-version ").Append(Sh(c.KubernetesVersion.TrimStart('v'), "Kubernetes version"));
            create.Append(" --pod-cidr ").Append(Sh(c.PodCidr, "pod CIDR"));
            if (first is not null)
            {
                create.Append(" --node-count ").Append(Number(first.Count)).Append(" --node-vm-size ").Append(Sh(first.VmSize, "node VM size"));
            }

            if (c.LoadBalancerCount is { } lbCount)
            {
                create.Append(" --load-balancer-count ").Append(Number(lbCount));
            }

            Line(create.Append(" --generate-ssh-keys").ToString());
            if (first is not null)
            {
                Line(ShellText.Comment($"az aksarc create made the first node pool ({first.Count} x {first.VmSize}, Trellis' '{first.Name}') under its own name."));
            }

            foreach (var p in c.NodePools.Where(p => p != first))
            {
                var add = new StringBuilder($"az aksarc nodepool add --resource-group \"$RESOURCE_GROUP\" --cluster-name {Sh(c.Name, "cluster name")} --name {Sh(p.Name, "node pool name")}");
                add.Append(" --node-count ").Append(Number(p.Count)).Append(" --node-vm-size ").Append(Sh(p.VmSize, "node VM size"));
                add.Append(" --os-type ").Append(Sh(p.OsType.ToString(), "OS type"));
                if (p.OsSku is { } sku)
                {
                    add.Append(" --os-sku ").Append(Sh(sku, "OS SKU"));
                }

                Line(add.Append(" --max-pods ").Append(Number(p.MaxPodCount)).ToString());
            }

            if (c.LoadBalancers.Count == 0 && c.BgpPeers.Count == 0)
            {
                ServiceComments(Line, c);
                continue;
            }

            Line($"cluster_id=$(az connectedk8s show --resource-group \"$RESOURCE_GROUP\" --name {Sh(c.Name, "cluster name")} --query id --output tsv)");
            Line("az k8s-runtime load-balancer enable --resource-uri \"$cluster_id\"");
            foreach (var p in c.BgpPeers)
            {
                Line($"az k8s-runtime bgp-peer create --bgp-peer-name {Sh(p.Name, "BGP peer name")} --resource-uri \"$cluster_id\" --my-asn {Number(p.MyAsn)} --peer-asn {Number(p.PeerAsn)} --peer-address {Sh(p.PeerAddress ?? "", "peer address")}");
                if (p.PeerPort is { } port)
                {
                    Line(ShellText.Comment($"BGP peer {p.Name} listens on port {port}: the az command has no parameter for it; set peerPort on the BgpPeer resource."));
                }
            }

            foreach (var l in c.LoadBalancers)
            {
                Line($"az k8s-runtime load-balancer create --load-balancer-name {Sh(l.Name, "load balancer name")} --resource-uri \"$cluster_id\" --addresses {string.Join(" ", l.Addresses.Select(a => Sh(a, "address")))} --advertise-mode {Sh(l.AdvertiseMode, "advertise mode")}");
            }

            ServiceComments(Line, c);
        }

        return s.ToString();
    }

    private static void ServiceComments(Action<string> line, ClusterSpec c)
    {
        if (c.Services.Count == 0)
        {
            return;
        }

        line("# Services of type LoadBalancer: create these with kubectl; MetalLB gives them the addresses Trellis planned.");
        foreach (var svc in c.Services)
        {
            line(ShellText.Comment($"  {svc.Namespace}/{svc.Name} ports {string.Join(",", svc.Ports)}{(svc.SharedIpKey is { } k ? $" sharing an address by key {k}" : "")}"));
        }
    }
}
