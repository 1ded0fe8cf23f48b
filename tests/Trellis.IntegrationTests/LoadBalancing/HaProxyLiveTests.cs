using System.Diagnostics;
using Trellis.IntegrationTests.Infrastructure;
using Trellis.Rendering.HaProxy;
using Xunit.Abstractions;

namespace Trellis.IntegrationTests.LoadBalancing;

/// <summary>
/// Real haproxy running the rendered haproxy.cfg of contoso's payments cluster (6 Linux and 4 Windows workers) in a
/// namespace of its own, in front of one small TCP backend per worker at the service's NodePort.
/// </summary>
public class HaProxyLiveTests(ITestOutputHelper output)
{
    [Fact]
    public void ServiceVip_SpreadsConnectionsOverEveryWorker_AndHealthChecksTakeADeadOneOut()
    {
        var (site, payments) = LoadBalancerVms.Load("contoso-multicluster.yaml", "payments");
        var vm = payments.LoadBalancerVms[0];
        var (vip, port) = HaProxyConfigRenderer.ServicePorts(payments).Single(p => p.Port.Service == "checkout");
        var workers = payments.Workers.ToList();
        Assert.True(workers.Count >= 3, "the test needs at least three workers");

        var dir = Directory.CreateTempSubdirectory("trellis-lb-live-");
        using var ns = new NetworkNamespace("haproxy");
        try
        {
            // The LB VM, the VIPs and the workers all live on one local device: traffic stays inside the namespace.
            LoadBalancerVms.AddLocalInterface(ns, "lb0");
            var addresses = workers.Select(w => w.Address).Append(vm.Address).Concat(payments.ServiceVips.Select(v => v.Address)).Append(payments.ApiServerVip!);
            foreach (var a in addresses)
            {
                ns.Exec("ip", "addr", "add", $"{a}/32", "dev", "lb0");
            }

            var backends = workers.ToDictionary(w => w.Name, w => TcpProbes.StartBackend(ns, w.Address.ToString(), port.NodePort, w.Name));
            TcpProbes.AwaitListening(ns, TimeSpan.FromSeconds(10), workers.Select(w => $"{w.Address}:{port.NodePort}"));

            var (config, _) = LoadBalancerVms.Write(dir.FullName, site, payments, vm);
            var log = new System.Text.StringBuilder();
            var haproxy = ns.Start(LoadBalancerVms.HaProxyCommand(config));
            haproxy.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
            string Diagnostics()
            {
                lock (log)
                {
                    return $"haproxy {(haproxy.HasExited ? $"exited {haproxy.ExitCode}" : "running")}:\n{log}";
                }
            }

            var stats = $"{HaProxyConfigRenderer.StatsAddress}:{HaProxyConfigRenderer.StatsPort}";
            TcpProbes.AwaitListening(ns, TimeSpan.FromSeconds(10), [$"{vip.Address}:{port.Port}", stats], Diagnostics);
            // keepalived's check asks this endpoint; it answers while haproxy serves, on loopback only.
            Assert.Contains("200 OK", TcpProbes.Get(ns, $"http://{stats}{HaProxyConfigRenderer.HealthPath}"), StringComparison.Ordinal);

            var answers = TcpProbes.Connect(ns, vip.Address.ToString(), port.Port, 3 * workers.Count);
            var perWorker = answers.GroupBy(a => a).ToDictionary(g => g.Key, g => g.Count());
            Assert.True(workers.All(w => perWorker.ContainsKey(w.Name)), $"round robin missed some workers: {string.Join(", ", perWorker)}\n{Diagnostics()}");
            Assert.Equal(workers.Count, perWorker.Count);
            Assert.True(perWorker.Values.Max() - perWorker.Values.Min() <= 1, $"uneven spread: {string.Join(", ", perWorker)}");

            // Take a Windows worker's backend down: haproxy's health checks (inter 2s, fall 2) must mark it DOWN.
            var dead = workers.Last(w => w.Os == Core.Model.OsType.Windows);
            Kill(backends[dead.Name]);
            var backendName = $"backend_{HaProxyConfigRenderer.ProxyName(vip.Address, port.Port)}";
            var watch = Stopwatch.StartNew();
            string? status = null;
            while (watch.Elapsed < TimeSpan.FromSeconds(10))
            {
                status = ServerStatus(ns, $"http://{stats}/stats;csv", backendName, dead.Name);
                if (status.StartsWith("DOWN", StringComparison.Ordinal))
                {
                    break;
                }

                Thread.Sleep(500);
            }

            Assert.True(status?.StartsWith("DOWN", StringComparison.Ordinal) == true, $"{dead.Name} still '{status}' after {watch.Elapsed.TotalSeconds:0.0} s\n{Diagnostics()}");
            output.WriteLine($"{answers.Count} connections over {workers.Count} workers: {string.Join(", ", perWorker.Select(p => $"{p.Key}={p.Value}"))}; {dead.Name} DOWN {watch.Elapsed.TotalSeconds:0.0} s after its backend died");
            Assert.Equal("UP", ServerStatus(ns, $"http://{stats}/stats;csv", backendName, workers[0].Name));

            var after = TcpProbes.Connect(ns, vip.Address.ToString(), port.Port, 3 * workers.Count);
            Assert.True(after.All(a => workers.Any(w => w.Name == a)), $"failed connections after the health check: {string.Join(", ", after)}");
            Assert.DoesNotContain(dead.Name, after);
            output.WriteLine($"after: {string.Join(", ", after.GroupBy(a => a).Select(g => $"{g.Key}={g.Count()}"))}");
            Assert.Equal(workers.Where(w => w != dead).Select(w => w.Name).Order(StringComparer.Ordinal), after.Distinct().Order(StringComparer.Ordinal));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static void Kill(Process backend)
    {
        backend.Kill(entireProcessTree: true);
        backend.WaitForExit(5000);
    }

    /// <summary>The status column of haproxy's CSV stats for one server ("UP", "DOWN", "UP 1/2", ...).</summary>
    private static string ServerStatus(NetworkNamespace ns, string url, string backend, string server)
    {
        var csv = TcpProbes.Get(ns, url).Split('\n');
        var header = csv[0].TrimStart('#', ' ').Split(',');
        var column = Array.IndexOf(header, "status");
        var row = csv.Select(l => l.Split(',')).FirstOrDefault(f => f.Length > column && f[0] == backend && f[1] == server);
        return row?[column] ?? $"(no row for {backend}/{server})";
    }
}
