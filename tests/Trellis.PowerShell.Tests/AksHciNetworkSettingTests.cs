using System.Management.Automation;
using Trellis.TestSupport;

namespace Trellis.PowerShell.Tests;

/// <summary>New-AksHciNetworkSetting and New-AksHciLoadBalancerSetting: in-memory objects, the AksHci parameter sets.</summary>
public sealed class AksHciNetworkSettingTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private ModuleHost Host => new(_temp.Path);

    private const string Static = "-name mgmtvnet -vswitchName External -k8sNodeIpPoolStart 172.16.10.1 -k8sNodeIpPoolEnd 172.16.10.254 "
        + "-vipPoolStart 172.16.255.0 -vipPoolEnd 172.16.255.254 -ipAddressPrefix 172.16.0.0/16 -gateway 172.16.0.1 -dnsServers 172.16.0.1";

    private const string Dhcp = "-name branchvnet -vswitchName External -vipPoolStart 10.12.0.200 -vipPoolEnd 10.12.0.239";

    [Theory]
    [InlineData(Static, "Static", null)]
    [InlineData(Static + " -vlanID 7", "Static", 7)]
    [InlineData(Dhcp, "DHCP", null)]
    [InlineData(Dhcp + " -vlanID 12", "DHCP", 12)]
    public void NewAksHciNetworkSetting_TakesEachOfTheFourParameterShapes(string parameters, string method, int? vlan)
    {
        var run = Host.Run($"New-AksHciNetworkSetting {parameters}").Succeeded();

        var vnet = Assert.Single(run.Objects<AksHciVirtualNetwork>());
        Assert.Equal(method, vnet.IpAllocationMethod);
        Assert.Equal(vlan, vnet.Vlanid);
        Assert.Equal("External", vnet.VswitchName);
        if (method == "Static")
        {
            Assert.Equal(("172.16.0.0/16", "172.16.0.1", "172.16.10.1", "172.16.10.254", "172.16.255.0", "172.16.255.254"),
                (vnet.IpAddressPrefix, vnet.Gateway, vnet.K8snodeIPPoolStart, vnet.K8snodeIPPoolEnd, vnet.VipPoolStart, vnet.VipPoolEnd));
            Assert.Equal(["172.16.0.1"], vnet.DnsServers);
        }
        else
        {
            Assert.Equal(("branchvnet", "10.12.0.200", "10.12.0.239"), (vnet.Name, vnet.VipPoolStart, vnet.VipPoolEnd));
            Assert.Null(vnet.IpAddressPrefix);
            Assert.Null(vnet.K8snodeIPPoolStart);
        }
    }

    [Theory]
    [InlineData("New-AksHciNetworkSetting")]
    public void TheNetworkCmdlets_HaveTheFourAksHciParameterSets_WithTheirMandatoryParameters(string cmdlet)
    {
        var run = Host.Run($"(Get-Command {cmdlet}).ParameterSets | Sort-Object Name | ForEach-Object {{ $_.Name + ': ' + "
            + "(($_.Parameters | Where-Object IsMandatory | ForEach-Object Name | Sort-Object) -join ' ') }").Succeeded();

        Assert.Equal([
            "Dhcp: Name VipPoolEnd VipPoolStart VswitchName",
            "DhcpVlan: Name VipPoolEnd VipPoolStart VlanID VswitchName",
            "Static: DnsServers Gateway IpAddressPrefix K8sNodeIpPoolEnd K8sNodeIpPoolStart Name VipPoolEnd VipPoolStart VswitchName",
            "StaticVlan: DnsServers Gateway IpAddressPrefix K8sNodeIpPoolEnd K8sNodeIpPoolStart Name VipPoolEnd VipPoolStart VlanID VswitchName",
        ], run.Output.Select(o => o.ToString()));
    }

    [Fact]
    public void NewAksHciNetworkSetting_WithAStaticParameterButNotAllOfThem_IsPowerShellsMissingParameterError()
    {
        var run = Host.Run("New-AksHciNetworkSetting -name a -vswitchName External -vipPoolStart 10.0.0.1 -vipPoolEnd 10.0.0.9 -ipAddressPrefix 10.0.0.0/24");

        var error = Assert.Single(run.Errors);
        Assert.IsType<ParameterBindingException>(error.Exception);
        Assert.Empty(run.Output);
    }

    [Fact]
    public void NewAksHciNetworkSetting_TakesADhcpScopeAsAHashtable()
    {
        var run = Host.Run("New-AksHciNetworkSetting " + Dhcp + " -gateway 10.12.0.1 -dnsServers 10.10.0.53 -DhcpScope @{ subnet = '10.12.0.0/24'; start = '10.12.0.10'; end = '10.12.0.250'; "
            + "leaseDuration = '8.00:00:00'; reservations = @(@{ name = 'jumphost'; ipAddress = '10.12.0.12'; macAddress = '02-1E-2B-78-00-01' }) }").Succeeded();

        var vnet = Assert.Single(run.Objects<AksHciVirtualNetwork>());
        Assert.Equal(("10.12.0.0/24", "10.12.0.10", "10.12.0.250", "8.00:00:00"), (vnet.DhcpScope!.Subnet, vnet.DhcpScope.Start, vnet.DhcpScope.End, vnet.DhcpScope.LeaseDuration));
        var reservation = Assert.Single(vnet.DhcpScope.Reservations);
        Assert.Equal(("jumphost", "10.12.0.12", "02-1E-2B-78-00-01"), (reservation.Name, reservation.IpAddress, reservation.MacAddress));
        Assert.Equal("10.12.0.1", vnet.Gateway);
    }

    [Fact]
    public void NewAksHciLoadBalancerSetting_WritesTheSettingAsGiven_AndRequiresNameAndSku()
    {
        var lb = Host.Run("New-AksHciLoadBalancerSetting -name haProxyLB -loadBalancerSku HAProxy -vmSize Standard_K8S3_v1 -loadBalancerCount 3").Succeeded()
            .Objects<AksHciLoadBalancerSetting>().Single();

        Assert.Equal(("haProxyLB", "HAProxy", "Standard_K8S3_v1", 3), (lb.Name, lb.LoadBalancerSku, lb.VmSize, lb.LoadBalancerCount));
        Assert.IsType<ParameterBindingException>(Host.Run("New-AksHciLoadBalancerSetting -name x").Errors.Single().Exception);
    }
}
