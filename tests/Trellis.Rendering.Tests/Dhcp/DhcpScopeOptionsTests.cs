using System.Text.Json.Nodes;
using Trellis.Core.Validation;
using Trellis.Rendering.Dhcp;

namespace Trellis.Rendering.Tests.Dhcp;

public class DhcpScopeOptionsTests
{
    private static ExampleState WithoutRouterOrDns()
    {
        var state = ExampleState.Load("dhcp-site.yaml");
        return state with { Site = state.Site with { HostNetwork = state.Site.HostNetwork with { Gateway = null, DnsServers = [] } } };
    }

    [Fact]
    public void Render_DhcpScopesWithARouterAndDns_KeaAndWindowsDhcpCarryOption3AndOption6()
    {
        var state = ExampleState.Load("dhcp-site.yaml");

        var kea = JsonNode.Parse(KeaConfigRenderer.Render(state.Site, state.Site.HostNetwork))!["Dhcp4"]!["subnet4"]![0]!["option-data"]!.AsArray()
            .ToDictionary(o => o!["name"]!.GetValue<string>(), o => o!["data"]!.GetValue<string>());
        var script = WindowsDhcpScriptRenderer.Render(state.Site, state.Site.HostNetwork);

        Assert.Equal("10.12.0.1", kea["routers"]);
        Assert.Equal("10.10.0.53", kea["domain-name-servers"]);
        Assert.Contains("Set-DhcpServerv4OptionValue -ScopeId 10.12.0.0 -Router 10.12.0.1 -DnsServer 10.10.0.53 -Force\n", script, StringComparison.Ordinal);
    }

    [Fact]
    public void SiteRenderer_DhcpScopesWithARouterAndDns_ANetworkWithoutGatewayIsRefusedWithAFindingAndRendersNoScope()
    {
        var state = WithoutRouterOrDns();

        var findings = SiteRenderer.Findings(state.Site, ["kea"]);
        var files = SiteRenderer.Render(state.Site, state.Allocations, ["kea", "windows-dhcp"]);

        var router = Assert.Single(findings, f => f.Code == "DhcpRouterMissing");
        Assert.Equal(Severity.Error, router.Severity);
        Assert.Equal("spec.hostNetwork.gateway", router.Path);
        var dns = Assert.Single(findings, f => f.Code == "DhcpDnsServersMissing");
        Assert.Equal(Severity.Warning, dns.Severity);
        Assert.Empty(files);
        Assert.Throws<ArgumentException>(() => KeaConfigRenderer.Render(state.Site, state.Site.HostNetwork));
        Assert.Throws<ArgumentException>(() => WindowsDhcpScriptRenderer.Render(state.Site, state.Site.HostNetwork));
        // HAProxy's files name no DHCP option; they name the VMs' expected leases, which no reservation of the example pins.
        Assert.Equal(["DhcpLeaseInConfig"], SiteRenderer.Findings(state.Site, ["haproxy"]).Select(f => f.Code));
        Assert.Equal(["DhcpLeaseInConfig"], SiteRenderer.Findings(ExampleState.Load("dhcp-site.yaml").Site).Select(f => f.Code));
    }
}
