using Trellis.Core.Model;
using Trellis.IntegrationTests.Infrastructure;
using Trellis.Rendering.Dhcp;

namespace Trellis.IntegrationTests.Dhcp;

/// <summary>Every rendered Kea configuration passes the real server's own check, kea-dhcp4 -t.</summary>
public class KeaConfigCheckTests
{
    public static TheoryData<string, string> DhcpNetworks()
    {
        var data = new TheoryData<string, string>();
        foreach (var file in ExampleState.Files)
        {
            foreach (var n in ExampleState.Load(file).Site.Networks.Where(n => n.Method == IpAllocationMethod.Dhcp))
            {
                data.Add(file, n.Name);
            }
        }

        data.Add("tiny", "tinyvnet");
        data.Add("hostile-names", "tinyvnet");
        return data;
    }

    [Theory]
    [MemberData(nameof(DhcpNetworks))]
    public void Render_PassesKeaConfigCheck(string file, string network)
    {
        var kea = Tools.Require("kea-dhcp4", "kea-dhcp4-server");
        var state = file switch
        {
            "tiny" => TinyDhcpSite.State,
            "hostile-names" => TinyDhcpSite.HostileNames,
            _ => ExampleState.Load(file),
        };
        var config = KeaConfigRenderer.Render(state.Site, state.Site.Networks.Single(n => n.Name == network));
        var dir = Directory.CreateTempSubdirectory("trellis-kea-check-");
        try
        {
            var path = Path.Combine(dir.FullName, "kea-dhcp4.conf");
            File.WriteAllText(path, config);

            // kea-dhcp4 -t also checks that the interface exists, so the check runs beside an eth0 of its own (a veth end).
            using var ns = new NetworkNamespace("kea-check");
            ns.Exec("ip", "link", "add", "eth0", "type", "veth", "peer", "name", "eth0-peer");
            var result = ns.TryExec("env", $"KEA_LOCKFILE_DIR={dir.FullName}", $"KEA_PIDFILE_DIR={dir.FullName}", kea, "-t", path);

            Assert.True(result.ExitCode == 0, $"kea-dhcp4 -t rejected the config of {network} ({file}):\n{result.Output}\n{config}");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
