using Trellis.Core.Planning;
using Trellis.Rendering.Dhcp;
using Trellis.Rendering.Emit;
using Trellis.Rendering.Tests.Emit;

namespace Trellis.Rendering.Tests.Dhcp;

public class WindowsDhcpScriptInjectionTests
{
    private static readonly string[] ExpectedCommands =
    [
        "Get-DhcpServerv4Scope", "Add-DhcpServerv4Scope", "New-TimeSpan", "Set-DhcpServerv4OptionValue",
        "Get-DhcpServerv4ExclusionRange", "Where-Object", "Add-DhcpServerv4ExclusionRange",
        "Get-DhcpServerv4ExclusionRange", "Where-Object", "Add-DhcpServerv4ExclusionRange",
        "Get-DhcpServerv4Reservation", "Add-DhcpServerv4Reservation",
        "Get-DhcpServerv4Reservation", "Add-DhcpServerv4Reservation",
        "Set-DhcpServerv4Scope",
    ];

    private static ResolvedSite WithReservationNames(params string[] names)
    {
        var site = DhcpSites.Tiny.Site;
        var scope = site.HostNetwork.Dhcp!;
        var reservations = scope.Reservations.Select((r, i) => r with { Name = names[i] }).ToList();
        return site with { HostNetwork = site.HostNetwork with { Dhcp = scope with { Reservations = reservations } } };
    }

    [Theory]
    [InlineData("x\u2019 -Description z; Write-Host PWNED; #")]
    [InlineData("x\u2018 -Description z; Write-Host PWNED; #")]
    [InlineData("x\u201A -Description z; Write-Host PWNED; #")]
    [InlineData("x\u201B -Description z; Write-Host PWNED; #")]
    [InlineData("x' -Description z; Write-Host PWNED; #")]
    [InlineData("x\u2019\u2019; Write-Host PWNED; \u2018")]
    [InlineData("$(Write-Host PWNED) ${env:PATH} `n \"q\" #")]
    [InlineData("a\nWrite-Host PWNED\n#\u2028\u2029\0")]
    public void Render_ReservationNameWithAnySingleQuote_StaysOneStringAndRunsNothing(string hostile)
    {
        var site = WithReservationNames(hostile, "jumphost");

        var ast = PowerShellAst.Parse(WindowsDhcpScriptRenderer.Render(site, site.HostNetwork));

        Assert.Equal(ExpectedCommands, ast.CommandNames);
        Assert.Equal([hostile, "jumphost"], ast.StringArguments("Add-DhcpServerv4Reservation", "Name"));
        Assert.Equal([$"Trellis reservation {hostile} of tinyvnet", "Trellis reservation jumphost of tinyvnet"],
            ast.StringArguments("Add-DhcpServerv4Reservation", "Description"));
    }

    [Theory]
    [InlineData("\u2019")]
    [InlineData("\u0451")] // UTF-8 D1 91: read as Windows-1252 the 0x91 is a left single quote.
    public void Render_NonAsciiValue_StartsTheScriptWithAByteOrderMark(string name)
    {
        var site = WithReservationNames(name, "jumphost");

        var script = WindowsDhcpScriptRenderer.Render(site, site.HostNetwork);

        Assert.Equal(PowerShellText.ByteOrderMark, script[0]);
        Assert.DoesNotContain(PowerShellText.ByteOrderMark, WindowsDhcpScriptRenderer.Render(DhcpSites.Tiny.Site, DhcpSites.Tiny.Site.HostNetwork));
    }

    [Fact]
    public void Render_SiteNameWithNewline_CannotLeaveTheHeaderComment()
    {
        var tiny = DhcpSites.Tiny.Site;
        var site = tiny with { Spec = tiny.Spec with { Name = "tiny\nWrite-Host PWNED\u2028Write-Host PWNED2" } };

        var ast = PowerShellAst.Parse(WindowsDhcpScriptRenderer.Render(site, site.HostNetwork));

        Assert.DoesNotContain("Write-Host", ast.CommandNames);
        Assert.Equal([$"Trellis: site {site.Spec.Name}, network tinyvnet"], ast.StringArguments("Add-DhcpServerv4Scope", "Description"));
    }
}
