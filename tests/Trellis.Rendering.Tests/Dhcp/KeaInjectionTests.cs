using System.Text.Json.Nodes;
using Trellis.Rendering.Dhcp;

namespace Trellis.Rendering.Tests.Dhcp;

public class KeaInjectionTests
{
    [Theory]
    [InlineData("x\u2019 \"}, \"subnet4\": [] #")]
    [InlineData("a\n---\n\0 \u2028\u2029 \\ \u00e9 \U0001F600")]
    public void Render_ReservationAndSiteNames_ParseBackExactlyWithoutEscapesKeaRejects(string hostile)
    {
        var tiny = DhcpSites.Tiny.Site;
        var scope = tiny.HostNetwork.Dhcp!;
        var site = tiny with
        {
            Spec = tiny.Spec with { Name = hostile },
            HostNetwork = tiny.HostNetwork with { Dhcp = scope with { Reservations = scope.Reservations.Select(r => r with { Name = hostile + r.Name }).ToList() } },
        };

        var text = KeaConfigRenderer.Render(site, site.HostNetwork);

        var subnet = JsonNode.Parse(text)!["Dhcp4"]!["subnet4"]![0]!;
        Assert.Equal(hostile, subnet["user-context"]!["site"]!.GetValue<string>());
        Assert.Equal([hostile + "printer", hostile + "jumphost"], subnet["reservations"]!.AsArray().Select(r => r!["user-context"]!["reservation"]!.GetValue<string>()));
        // Kea's parser takes \u escapes of U+0000-U+00FF only ("Unsupported unicode escape").
        Assert.DoesNotMatch(@"\\u(?!00)[0-9a-fA-F]{4}", text);
    }
}
