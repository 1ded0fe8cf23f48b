using Trellis.Core.Planning;
using Trellis.IntegrationTests.Infrastructure;
using Trellis.Rendering;
using Trellis.Rendering.HaProxy;
using Trellis.Rendering.Keepalived;

namespace Trellis.IntegrationTests.LoadBalancing;

/// <summary>The load balancer VMs of the example sites, their rendered files, and how the tests start the real programs.</summary>
internal static class LoadBalancerVms
{
    public static readonly string HaProxy = Tools.Require("haproxy", "haproxy");
    public static readonly string Keepalived = Tools.Require("keepalived", "keepalived");

    public static ClusterTopology Topology(ExampleState state, ResolvedCluster cluster)
    {
        var topology = ClusterTopology.From(state.Site, cluster, state.Allocations);
                return topology;
    }

    public static (ResolvedSite Site, ClusterTopology Cluster) Load(string file, string cluster)
    {
        var state = ExampleState.Load(file);
        return (state.Site, Topology(state, state.Site.Clusters.Single(c => c.Name == cluster)));
    }

    /// <summary>Writes haproxy.cfg and keepalived.conf of one VM into <paramref name="dir"/>.</summary>
    public static (string HaProxyConfig, string KeepalivedConfig) Write(string dir, ResolvedSite site, ClusterTopology cluster, PlacedVm vm)
    {
        var haproxy = Path.Combine(dir, "haproxy.cfg");
        var keepalived = Path.Combine(dir, "keepalived.conf");
        File.WriteAllText(haproxy, HaProxyConfigRenderer.Render(site, cluster, vm));
        File.WriteAllText(keepalived, KeepalivedConfigRenderer.Render(site, cluster, vm));
        return (haproxy, keepalived);
    }

    /// <summary>
    /// haproxy -db -f FILE, plus -n where needed: at start haproxy raises its descriptor limit to about twice the
    /// rendered maxconn 10000 and refuses to run when it cannot (a hard limit of 20000 without CAP_SYS_RESOURCE, as
    /// in some sandboxes); -n lowers only maxconn there, the rest of the file runs as rendered.
    /// </summary>
    public static string[] HaProxyCommand(string config)
    {
        var hardLimit = File.ReadLines("/proc/self/limits")
            .Where(l => l.StartsWith("Max open files", StringComparison.Ordinal))
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[4])
            .FirstOrDefault();
        var tooLow = long.TryParse(hardLimit, out var limit) && limit < 20_100;
        return tooLow ? [HaProxy, "-n", "4000", "-f", config, "-db"] : [HaProxy, "-f", config, "-db"];
    }

    /// <summary>
    /// Adds a local device to hold addresses: a dummy interface, or an empty bridge where the kernel has no dummy
    /// driver (CONFIG_DUMMY unset, as in some VM kernels); both only hold local addresses here.
    /// </summary>
    public static void AddLocalInterface(NetworkNamespace ns, string name)
    {
        var dummy = ns.TryExec("ip", "link", "add", name, "type", "dummy");
        if (dummy.ExitCode != 0)
        {
            var bridge = ns.TryExec("ip", "link", "add", name, "type", "bridge");
            Assert.True(bridge.ExitCode == 0, $"Could not add {name} as dummy ({dummy.Output.Trim()}) nor as bridge ({bridge.Output.Trim()}).");
        }

        ns.Exec("ip", "link", "set", name, "up");
    }

    /// <summary>The host's process ids of the programs named <paramref name="comm"/> running in the namespace.</summary>
    public static IReadOnlyList<int> ProcessesIn(NetworkNamespace ns, string comm)
    {
        var pids = Tools.Run(Tools.Require("ip", "iproute2"), "netns", "pids", ns.Name).Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var found = new List<int>();
        foreach (var pid in pids)
        {
            try
            {
                if (File.ReadAllText($"/proc/{pid}/comm").Trim() == comm)
                {
                    found.Add(int.Parse(pid, System.Globalization.CultureInfo.InvariantCulture));
                }
            }
            catch (IOException)
            {
                // The process ended between listing and reading.
            }
        }

        return found;
    }

    public static string ReadLog(string path) => File.Exists(path) ? File.ReadAllText(path) : $"({path} not written)";
}
