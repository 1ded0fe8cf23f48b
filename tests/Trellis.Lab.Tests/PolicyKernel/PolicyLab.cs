using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Trellis.Policy;
using Trellis.Policy.Manifests;

namespace Trellis.Lab.Tests.PolicyKernel;

/// <summary>One connection attempt of a probe: from a pod to another pod's declared port.</summary>
internal sealed record PolicyProbe(string From, string To, Protocol Protocol, int Port);

/// <summary>
/// Pods in network namespaces for the policy kernel test: a "node" namespace holding a Linux bridge, and one namespace per
/// pod whose <c>eth0</c> is a veth made in the node namespace with its peer moved straight into the pod's namespace
/// (nothing in the host namespace). Each pod runs a listener on its workload's TCP and UDP container ports (TCP: accept and
/// close; UDP: echo). Every namespace and listener goes away on dispose, also when a test failed.
/// </summary>
internal sealed class PolicyLab : IAsyncDisposable
{
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(1);

    private const string Listener = """
        import os, socket, sys, threading
        def serve_tcp(s):
            while True:
                c, _ = s.accept()
                c.close()
        def serve_udp(s):
            while True:
                data, peer = s.recvfrom(2048)
                s.sendto(data, peer)
        sockets = []
        for spec in sys.argv[2:]:
            proto, port = spec.split(':')
            if proto == 'tcp':
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(('0.0.0.0', int(port)))
                s.listen(256)
                target = serve_tcp
            else:
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.bind(('0.0.0.0', int(port)))
                target = serve_udp
            threading.Thread(target=target, args=(s,), daemon=True).start()
        open(sys.argv[1], 'w').close()
        sys.stdin.read()
        os._exit(0)
        """;

    private const string Prober = """
        import json, socket, sys, threading
        probes = json.loads(sys.argv[1])
        timeout = float(sys.argv[2])
        results = ['timeout'] * len(probes)
        def run(i, address, proto, port):
            try:
                if proto == 'tcp':
                    s = socket.create_connection((address, port), timeout=timeout)
                    s.close()
                    results[i] = 'open'
                else:
                    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    s.settimeout(timeout)
                    s.connect((address, port))
                    s.send(b'trellis')
                    results[i] = 'open' if s.recv(64) == b'trellis' else 'garbled'
                    s.close()
            except socket.timeout:
                results[i] = 'timeout'
            except ConnectionRefusedError:
                results[i] = 'refused'
            except PermissionError:
                results[i] = 'dropped-locally'
            except OSError as e:
                results[i] = 'error ' + str(e)
        threads = [threading.Thread(target=run, args=(i, p[0], p[1], p[2])) for i, p in enumerate(probes)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        print(json.dumps(results))
        """;

    /// <summary>Debian's python3 itself: a version manager's shim on PATH can take most of a second to start.</summary>
    private static readonly string Python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

    private readonly LabCommands ip = new();
    private readonly string run = $"pk{Guid.NewGuid():N}"[..8];
    private readonly List<string> namespaces = [];
    private readonly List<Process> listeners = [];
    private readonly string folder = Directory.CreateTempSubdirectory("trellis-policy-lab-").FullName;

    private PolicyLab(IReadOnlyDictionary<string, (IPAddress Address, Workload Workload)> pods) => Pods = pods;

    /// <summary>Each pod's engine endpoint id, its address and workload.</summary>
    public IReadOnlyDictionary<string, (IPAddress Address, Workload Workload)> Pods { get; }

    public string Node => $"{LabNames.TestPrefix}{run}-node";

    public IReadOnlyDictionary<string, string> PodNamespaces { get; private set; } = new Dictionary<string, string>();

    /// <summary>Makes the namespaces, the bridge, the pods on it at their addresses (one /<paramref name="prefixLength"/>) and their listeners.</summary>
    public static async Task<PolicyLab> StartAsync(IReadOnlyDictionary<string, (IPAddress Address, Workload Workload)> pods, int prefixLength)
    {
        var lab = new PolicyLab(pods);
        try
        {
            await lab.BuildAsync(prefixLength);
            return lab;
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }
    }

    private async Task BuildAsync(int prefixLength)
    {
        var ct = CancellationToken.None;
        await AddNamespaceAsync(Node);
        await ip.IpAsync(Node, ["link", "add", "br0", "type", "bridge"], ct);
        await ip.IpAsync(Node, ["link", "set", "br0", "up"], ct);
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var (id, (address, workload)) in Pods)
        {
            var pod = $"{LabNames.TestPrefix}{run}-p{index.ToString(CultureInfo.InvariantCulture)}";
            var port = $"v{index.ToString(CultureInfo.InvariantCulture)}";
            index++;
            await AddNamespaceAsync(pod);
            names[id] = pod;
            await ip.IpAsync(Node, ["link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", pod], ct);
            await ip.IpAsync(Node, ["link", "set", port, "master", "br0", "up"], ct);
            await ip.IpAsync(pod, ["addr", "add", $"{address}/{prefixLength.ToString(CultureInfo.InvariantCulture)}", "dev", "eth0"], ct);
            await ip.IpAsync(pod, ["link", "set", "eth0", "up"], ct);
            await ip.IpAsync(pod, ["link", "set", "lo", "up"], ct);
            StartListener(pod, workload);
        }

        PodNamespaces = names;
        var deadline = Stopwatch.StartNew();
        while (!names.Values.All(pod => File.Exists(ReadyFile(pod))))
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(20), "The pods' listeners did not start within 20 s.");
            await Task.Delay(50);
        }
    }

    private string ReadyFile(string pod) => Path.Combine(folder, $"{pod}.ready");

    private async Task AddNamespaceAsync(string name)
    {
        await ip.AddNamespaceAsync(name, CancellationToken.None);
        namespaces.Add(name);
    }

    /// <summary>
    /// A listener lives as long as the test needs it, longer than LabCommands lets a command run: it is started here, with
    /// its stdin held so that it exits when this process goes away, and is killed by its id on dispose.
    /// </summary>
    private void StartListener(string pod, Workload workload)
    {
        // Only stdin is a pipe (read by nobody but the listener, to see this process end); it says it is ready with a file.
        var start = new ProcessStartInfo("ip") { RedirectStandardInput = true, UseShellExecute = false };
        foreach (var arg in (string[])["netns", "exec", pod, Python, "-c", Listener, ReadyFile(pod)])
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var p in workload.Ports.Where(p => p.Protocol == Protocol.Tcp || p.Protocol == Protocol.Udp).Select(p => $"{p.Protocol.Name.ToLowerInvariant()}:{p.Port.ToString(CultureInfo.InvariantCulture)}").Distinct())
        {
            start.ArgumentList.Add(p);
        }

        listeners.Add(Process.Start(start)!);
    }

    /// <summary>Every pod's script, loaded with <c>nft -f</c> in its namespace (replacing the previous one); a failure fails the test.</summary>
    public async Task LoadAsync(IReadOnlyDictionary<string, string> scripts)
    {
        await Task.WhenAll(PodNamespaces.Select(async p =>
        {
            var file = Path.Combine(folder, $"{p.Value}.nft");
            await File.WriteAllTextAsync(file, scripts[p.Key]);
            var loaded = await ip.ExecAsync(p.Value, "nft", ["-f", file], CancellationToken.None);
            Assert.True(loaded.Succeeded, $"nft -f failed for {p.Key}: {loaded.Error}\n{scripts[p.Key]}");
        }));
    }

    /// <summary><c>nft -c -f</c> (check only, no change) of <paramref name="script"/> inside the node namespace; the error text, or null.</summary>
    public async Task<string?> CheckAsync(string script)
    {
        var file = Path.Combine(folder, $"check-{Guid.NewGuid():N}.nft");
        await File.WriteAllTextAsync(file, script);
        var checkedRun = await ip.ExecAsync(Node, "nft", ["-c", "-f", file], CancellationToken.None);
        return checkedRun.Succeeded ? null : checkedRun.Error;
    }

    /// <summary>Runs every probe, each pod's probes at once from inside its namespace; what each saw ("open", "timeout", …).</summary>
    public async Task<IReadOnlyDictionary<PolicyProbe, string>> ProbeAsync(IReadOnlyList<PolicyProbe> probes, TimeSpan? timeout = null)
    {
        var seconds = (timeout ?? ProbeTimeout).TotalSeconds.ToString(CultureInfo.InvariantCulture);
        var results = new Dictionary<PolicyProbe, string>();
        var perPod = await Task.WhenAll(probes.GroupBy(p => p.From).Select(async group =>
        {
            var list = group.ToList();
            var json = JsonSerializer.Serialize(list.Select(p => new object[] { Pods[p.To].Address.ToString(), p.Protocol.Name.ToLowerInvariant(), p.Port }));
            var answer = await ip.ExecAsync(PodNamespaces[group.Key], Python, ["-c", Prober, json, seconds], CancellationToken.None);
            Assert.True(answer.Succeeded, $"the prober in {group.Key} failed: {answer.Error}");
            var seen = JsonSerializer.Deserialize<string[]>(answer.Output)!;
            return list.Zip(seen);
        }));
        foreach (var (probe, seen) in perPod.SelectMany(p => p))
        {
            results[probe] = seen;
        }

        return results;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var listener in listeners)
        {
            try
            {
                listener.Kill(entireProcessTree: true);
                await listener.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
            {
                // Already gone, or it will go with its stdin.
            }

            listener.Dispose();
        }

        foreach (var name in Enumerable.Reverse(namespaces))
        {
            try
            {
                await ip.DeleteNamespaceAsync(name, CancellationToken.None);
            }
            catch (LabCommandException)
            {
                // Deleting the others matters more; a leftover shows in the tests' namespace check.
            }
        }

        Directory.Delete(folder, recursive: true);
    }
}
