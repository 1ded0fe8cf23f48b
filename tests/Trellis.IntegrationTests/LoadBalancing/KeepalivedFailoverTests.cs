using System.Diagnostics;
using System.Net;
using Trellis.IntegrationTests.Infrastructure;
using Trellis.Rendering.Keepalived;
using Xunit.Abstractions;

namespace Trellis.IntegrationTests.LoadBalancing;

/// <summary>
/// contoso's two payments LB VMs as two namespaces joined by a veth pair (each end named eth0 and holding the VM's
/// planned address), each running real haproxy and real keepalived with its own rendered files. keepalived checks
/// HAProxy through its loopback health endpoint, and every VM runs nopreempt from state BACKUP.
/// </summary>
public class KeepalivedFailoverTests(ITestOutputHelper output)
{
    private static readonly string Unshare = Tools.Require("unshare", "util-linux");

    [Fact]
    public void Vips_StartOnTheFirstVm_MoveToTheBackup_WhenItsHaproxyDies_AndStayThere_WhenItComesBack()
    {
        var (site, payments) = LoadBalancerVms.Load("contoso-multicluster.yaml", "payments");
        Assert.Equal(2, payments.LoadBalancerVms.Count);
        var vips = KeepalivedConfigRenderer.Vips(payments);
        var prefix = payments.Cluster.Network.Prefix.Length;

        var dir = Directory.CreateTempSubdirectory("trellis-lb-vrrp-");
        using var master = new NetworkNamespace("vrrp1");
        using var backup = new NetworkNamespace("vrrp2");
        try
        {
            master.Link(backup, "eth0", "eth0");
            var vms = new[] { (Ns: master, Vm: payments.LoadBalancerVms[0]), (Ns: backup, Vm: payments.LoadBalancerVms[1]) };
            var logs = new List<string>();
            void Boot(int i)
            {
                var (ns, vm) = vms[i];
                ns.Exec("ip", "addr", "add", $"{vm.Address}/{prefix}", "dev", "eth0");
                var vmDir = Directory.CreateDirectory(Path.Combine(dir.FullName, vm.Name)).FullName;
                var (haproxy, keepalived) = LoadBalancerVms.Write(vmDir, site, payments, vm);
                logs.Add(Path.Combine(vmDir, "keepalived.log"));
                logs.Add(Path.Combine(vmDir, "haproxy.log"));
                // A PID namespace per VM as well, so that each VM's processes are found and killed as that VM's.
                var script = $"{Quote(LoadBalancerVms.HaProxyCommand(haproxy))} >'{vmDir}/haproxy.log' 2>&1 & "
                    + $"'{LoadBalancerVms.Keepalived}' -n -l -D -P -f '{keepalived}' -p '{vmDir}/keepalived.pid' -r '{vmDir}/vrrp.pid' -c '{vmDir}/checkers.pid' >'{vmDir}/keepalived.log' 2>&1 & "
                    + "wait";
                ns.Start(Unshare, "--pid", "--fork", "--mount-proc", "/bin/sh", "-c", script);
            }

            string Diagnostics() => string.Join("\n", logs.Select(l => $"--- {Path.GetFileName(Path.GetDirectoryName(l))}/{Path.GetFileName(l)}\n{LoadBalancerVms.ReadLog(l)}"));

            // The first VM boots alone and takes the VIPs; the second joins a running VRRP instance. Started together, which
            // one wins the first election would hang on which VM's haproxy passes its first check first, a race of process
            // start under load, not a property of the rendered files; joining is what happens when a VM is added or restarted.
            Boot(0);
            var elected = WaitUntil(TimeSpan.FromSeconds(20), () => HoldsAll(master, vips));
            Assert.True(elected is not null, $"The first VM never took the VIPs {string.Join(", ", vips)}:\n{Addresses(master)}\n{Diagnostics()}");
            Boot(1);
            var joined = WaitUntil(TimeSpan.FromSeconds(20),
                () => LoadBalancerVms.ReadLog(logs[2]).Contains("Entering BACKUP STATE", StringComparison.Ordinal));
            Assert.True(joined is not null, $"The second VM never settled as BACKUP:\n{Diagnostics()}");
            // Longer than the master-down interval: a backup that did not hear the master's adverts would have taken the VIPs.
            Thread.Sleep(TimeSpan.FromSeconds(5));
            Assert.True(HoldsAll(master, vips) && HoldsNone(backup, vips),
                $"The second VM took VIPs from the running first VM:\nmaster:\n{Addresses(master)}\nbackup:\n{Addresses(backup)}\n{Diagnostics()}");

            var haproxyPids = LoadBalancerVms.ProcessesIn(master, "haproxy");
            Assert.True(haproxyPids.Count == 1, $"expected one haproxy on the master, found {haproxyPids.Count}\n{Diagnostics()}");
            using (var haproxyOnMaster = Process.GetProcessById(haproxyPids[0]))
            {
                haproxyOnMaster.Kill();
            }

            var moved = WaitUntil(TimeSpan.FromSeconds(12), () => HoldsAll(backup, vips) && HoldsNone(master, vips));
            Assert.True(moved is not null,
                $"The VIPs did not move to the backup within 12 s of haproxy dying on the master.\nmaster:\n{Addresses(master)}\nbackup:\n{Addresses(backup)}\n{Diagnostics()}");
            output.WriteLine($"master took {vips.Count} VIPs after {elected.Value.TotalSeconds:0.0} s; they moved to the backup {moved.Value.TotalSeconds:0.0} s after haproxy died");

            // HAProxy serves again on the first VM: its check recovers (FAULT -> BACKUP), and under nopreempt the VIPs stay put.
            var firstVmLog = logs[0];
            var faultAt = LoadBalancerVms.ReadLog(firstVmLog).LastIndexOf("Entering FAULT STATE", StringComparison.Ordinal);
            Assert.True(faultAt >= 0, $"The first VM never entered FAULT when its haproxy died:\n{Diagnostics()}");
            var restartedConfig = Path.Combine(dir.FullName, vms[0].Vm.Name, "haproxy.cfg");
            master.Start(LoadBalancerVms.HaProxyCommand(restartedConfig));
            var recovered = WaitUntil(TimeSpan.FromSeconds(15),
                () => LoadBalancerVms.ReadLog(firstVmLog)[faultAt..].Contains("Entering BACKUP STATE", StringComparison.Ordinal));
            Assert.True(recovered is not null, $"The first VM's check did not recover after haproxy came back:\n{Diagnostics()}");

            // Longer than the master-down interval (3 adverts + skew): a preempting VM of priority 150 would have taken the VIPs back by now.
            Thread.Sleep(TimeSpan.FromSeconds(6));
            Assert.True(HoldsAll(backup, vips) && HoldsNone(master, vips),
                $"The VIPs flapped back to the recovered first VM despite nopreempt.\nmaster:\n{Addresses(master)}\nbackup:\n{Addresses(backup)}\n{Diagnostics()}");
            output.WriteLine($"the first VM's check recovered {recovered.Value.TotalSeconds:0.0} s after haproxy restarted; the VIPs stayed on the backup");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static string Quote(IEnumerable<string> command) => string.Join(' ', command.Select(a => $"'{a}'"));

    private static string Addresses(NetworkNamespace ns) => ns.Exec("ip", "-4", "addr", "show", "dev", "eth0").Stdout;

    private static bool HoldsAll(NetworkNamespace ns, IEnumerable<IPAddress> vips)
    {
        var shown = Addresses(ns);
        return vips.All(v => shown.Contains($"inet {v}/", StringComparison.Ordinal));
    }

    private static bool HoldsNone(NetworkNamespace ns, IEnumerable<IPAddress> vips)
    {
        var shown = Addresses(ns);
        return !vips.Any(v => shown.Contains($"inet {v}/", StringComparison.Ordinal));
    }

    /// <summary>Polls every 250 ms; returns how long it took, or null on timeout.</summary>
    private static TimeSpan? WaitUntil(TimeSpan timeout, Func<bool> condition)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            if (condition())
            {
                return watch.Elapsed;
            }

            Thread.Sleep(250);
        }

        return null;
    }
}
