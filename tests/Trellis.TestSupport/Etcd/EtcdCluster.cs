using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using dotnet_etcd;
using Etcdserverpb;

namespace Trellis.TestSupport.Etcd;

/// <summary>
/// A real 3-member etcd cluster (Debian's <c>etcd</c>) on free loopback ports with temporary data directories: started by
/// <see cref="StartAsync"/>, killed and removed by <see cref="DisposeAsync"/> (and at process exit, should a test host end
/// without disposing). Members can be killed (SIGKILL) and restarted, and the leader found, for fault tests.
/// </summary>
public sealed class EtcdCluster : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private readonly EtcdMember[] members;
    private readonly string root;
    private int disposed;

    private EtcdCluster(string root, EtcdMember[] members)
    {
        this.root = root;
        this.members = members;
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
    }

    /// <summary>The members, in the order of their names (<c>m0</c>, <c>m1</c>, …).</summary>
    public IReadOnlyList<EtcdMember> Members => members;

    /// <summary>Every member's client URL, comma-separated: what a client is given.</summary>
    public string Endpoints => string.Join(",", members.Select(m => m.ClientUrl));

    /// <summary>Starts <paramref name="size"/> members and waits (at most 30 s) until they have a leader and serve a linearizable read.</summary>
    /// <exception cref="InvalidOperationException">etcd is not installed, or the cluster did not become healthy (its members' last log lines say why).</exception>
    public static async Task<EtcdCluster> StartAsync(int size = 3)
    {
        var binary = FindEtcd() ?? throw new InvalidOperationException(
            "The etcd tests need a real etcd: the 'etcd' program is not on PATH. Install Debian's etcd-server and etcd-client (test.sh does: apt-get install etcd-server etcd-client).");
        var root = Path.Combine(Path.GetTempPath(), $"trellis-etcd-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        var ports = FreePorts(size * 2);
        var names = Enumerable.Range(0, size).Select(i => $"m{i}").ToArray();
        var initialCluster = string.Join(",", names.Select((name, i) => $"{name}=http://127.0.0.1:{ports[(2 * i) + 1]}"));
        var token = $"trellis-test-{Guid.NewGuid():N}";
        var members = names.Select((name, i) => new EtcdMember(binary, name, Path.Combine(root, name), ports[2 * i], ports[(2 * i) + 1], initialCluster, token)).ToArray();
        var cluster = new EtcdCluster(root, members);
        try
        {
            foreach (var member in members)
            {
                member.Start();
            }

            await cluster.WaitHealthyAsync(StartTimeout).ConfigureAwait(false);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Waits until every running member answers and agrees on a leader, and a linearizable read succeeds.</summary>
    public async Task WaitHealthyAsync(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        Exception? last = null;
        while (deadline.Elapsed < timeout)
        {
            try
            {
                var running = members.Where(m => m.IsRunning).ToArray();
                var leaders = new HashSet<ulong>();
                foreach (var member in running)
                {
                    leaders.Add(await member.LeaderAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false));
                }

                if (leaders.Count == 1 && !leaders.Contains(0UL))
                {
                    using var client = new EtcdClient(Endpoints);
                    using var readTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                    await client.GetAsync(new RangeRequest { Key = Google.Protobuf.ByteString.CopyFromUtf8("health") }, cancellationToken: readTimeout.Token).ConfigureAwait(false);
                    return;
                }
            }
            catch (Exception e) when (e is Grpc.Core.RpcException or InvalidOperationException or HttpRequestException or OperationCanceledException)
            {
                last = e;
            }

            if (members.FirstOrDefault(m => m.ExitedUnexpectedly) is { } dead)
            {
                throw new InvalidOperationException($"etcd member {dead.Name} exited with code {dead.ExitCode}. Its last output:{Environment.NewLine}{dead.LastOutput()}");
            }

            await Task.Delay(100).ConfigureAwait(false);
        }

        throw new InvalidOperationException(
            $"The etcd cluster did not become healthy within {timeout.TotalSeconds:0} s ({last?.Message}). Last output of its members:{Environment.NewLine}"
            + string.Join(Environment.NewLine, members.Select(m => $"[{m.Name}] {m.LastOutput()}")));
    }

    /// <summary>The member that is the leader now, asked of the running members.</summary>
    public async Task<EtcdMember> LeaderAsync()
    {
        foreach (var member in members.Where(m => m.IsRunning))
        {
            var leader = await member.LeaderAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
            if (leader != 0 && members.FirstOrDefault(m => m.IsRunning && m.Id == leader) is { } found)
            {
                return found;
            }
        }

        throw new InvalidOperationException("No running etcd member knows a leader.");
    }

    /// <summary>Kills every member and deletes the data directories.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        foreach (var member in members)
        {
            await member.KillAsync().ConfigureAwait(false);
            member.Dispose();
        }

        DeleteRoot();
    }

    private void OnProcessExit(object? sender, EventArgs e)
    {
        foreach (var member in members)
        {
            member.KillNow();
        }

        DeleteRoot();
    }

    private void DeleteRoot()
    {
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    private static string? FindEtcd() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Where(dir => dir.Length > 0)
            .Select(dir => Path.Combine(dir, "etcd"))
            .FirstOrDefault(File.Exists);

    /// <summary>Ports the system hands out as free now, all held at once so that none repeats.</summary>
    public static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToArray();
        try
        {
            foreach (var listener in listeners)
            {
                listener.Start();
            }

            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener.Stop();
            }
        }
    }
}

/// <summary>One etcd process of an <see cref="EtcdCluster"/>: its ports, its data directory, and its process, which may be killed and restarted.</summary>
public sealed class EtcdMember : IDisposable
{
    private readonly string binary;
    private readonly string initialCluster;
    private readonly string token;
    private readonly Queue<string> output = new();
    private readonly Lock outputLock = new();
    private Process? process;
    private bool killedOnPurpose;

    internal EtcdMember(string binary, string name, string dataDirectory, int clientPort, int peerPort, string initialCluster, string token)
    {
        this.binary = binary;
        this.initialCluster = initialCluster;
        this.token = token;
        Name = name;
        DataDirectory = dataDirectory;
        ClientPort = clientPort;
        PeerPort = peerPort;
    }

    public string Name { get; }

    public string DataDirectory { get; }

    public int ClientPort { get; }

    public int PeerPort { get; }

    public string ClientUrl => $"http://127.0.0.1:{ClientPort}";

    /// <summary>The member's id in the cluster, known once it answered a status request.</summary>
    public ulong Id { get; private set; }

    public bool IsRunning => process is { HasExited: false };

    internal bool ExitedUnexpectedly => process is { HasExited: true } && !killedOnPurpose;

    internal int ExitCode => process?.ExitCode ?? 0;

    /// <summary>Starts the process (again, after <see cref="KillAsync"/>: the data directory keeps its state).</summary>
    public void Start()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException($"etcd member {Name} is running.");
        }

        process?.Dispose();
        var info = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])[
            "--name", Name,
            "--data-dir", DataDirectory,
            "--listen-client-urls", ClientUrl,
            "--advertise-client-urls", ClientUrl,
            "--listen-peer-urls", $"http://127.0.0.1:{PeerPort}",
            "--initial-advertise-peer-urls", $"http://127.0.0.1:{PeerPort}",
            "--initial-cluster", initialCluster,
            "--initial-cluster-token", token,
            "--initial-cluster-state", "new",
            "--heartbeat-interval", "50",
            "--election-timeout", "500",
            "--logger", "zap",
            "--log-outputs", "stderr",
        ])
        {
            info.ArgumentList.Add(argument);
        }

        killedOnPurpose = false;
        process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>SIGKILLs the process and waits until it is gone.</summary>
    public async Task KillAsync()
    {
        if (process is null || process.HasExited)
        {
            return;
        }

        killedOnPurpose = true;
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync().ConfigureAwait(false);
    }

    internal void KillNow()
    {
        try
        {
            killedOnPurpose = true;
            process?.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
    }

    /// <summary>The leader's member id as this member sees it (0: none), asked by a status request.</summary>
    public async Task<ulong> LeaderAsync(TimeSpan timeout)
    {
        using var client = new EtcdClient(ClientUrl);
        using var cancel = new CancellationTokenSource(timeout);
        var status = await client.StatusAsync(new StatusRequest(), cancellationToken: cancel.Token).ConfigureAwait(false);
        Id = status.Header.MemberId;
        return status.Leader;
    }

    /// <summary>The process's last lines of output (at most 40).</summary>
    public string LastOutput()
    {
        lock (outputLock)
        {
            return string.Join(Environment.NewLine, output);
        }
    }

    public void Dispose() => process?.Dispose();

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (outputLock)
        {
            output.Enqueue(line);
            while (output.Count > 40)
            {
                output.Dequeue();
            }
        }
    }
}
