using System.Diagnostics;
using Trellis.IntegrationTests.Infrastructure;

namespace Trellis.IntegrationTests.LoadBalancing;

/// <summary>
/// Small python3 TCP servers and clients run inside a test namespace (the test process itself cannot open sockets
/// there): a backend that answers every connection with its name, and clients that count who answered.
/// </summary>
internal static class TcpProbes
{
    private static readonly string Python = Tools.Require("python3", "python3");

    private const string Server = """
        import socket, sys
        addr, port, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, port))
        s.listen(128)
        while True:
            c, _ = s.accept()
            try:
                c.sendall(name.encode() + b"\n")
            except OSError:
                pass
            c.close()
        """;

    private const string Clients = """
        import socket, sys
        addr, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
        for _ in range(count):
            try:
                with socket.create_connection((addr, port), timeout=5) as c:
                    data = b""
                    while True:
                        chunk = c.recv(256)
                        if not chunk:
                            break
                        data += chunk
                    print(data.decode().strip() or "EMPTY")
            except OSError as e:
                print("ERROR " + type(e).__name__)
        """;

    private const string WaitListening = """
        import socket, sys, time
        deadline = time.time() + float(sys.argv[1])
        pending = [(e.rsplit(":", 1)[0], int(e.rsplit(":", 1)[1])) for e in sys.argv[2:]]
        while pending and time.time() < deadline:
            left = []
            for a, p in pending:
                try:
                    socket.create_connection((a, p), timeout=1).close()
                except OSError:
                    left.append((a, p))
            pending = left
            if pending:
                time.sleep(0.1)
        if pending:
            print("not listening: " + " ".join(f"{a}:{p}" for a, p in pending))
            sys.exit(1)
        """;

    private const string HttpGet = """
        import sys, urllib.request
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        print(opener.open(sys.argv[1], timeout=5).read().decode())
        """;

    /// <summary>Starts a backend on address:port that answers each connection with <paramref name="name"/>.</summary>
    public static Process StartBackend(NetworkNamespace ns, string address, int port, string name) =>
        ns.Start(Python, "-c", Server, address, port.ToString(System.Globalization.CultureInfo.InvariantCulture), name);

    /// <summary>Waits until every "address:port" accepts connections, and fails the test with the ones that do not.</summary>
    public static void AwaitListening(NetworkNamespace ns, TimeSpan timeout, IEnumerable<string> endpoints, Func<string>? diagnostics = null)
    {
        var result = ns.TryExec([Python, "-c", WaitListening, timeout.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), .. endpoints]);
        Assert.True(result.ExitCode == 0, $"{result.Output.Trim()}\n{diagnostics?.Invoke()}");
    }

    /// <summary>Opens <paramref name="count"/> connections one after another; each answer is a backend's name or "ERROR ...".</summary>
    public static IReadOnlyList<string> Connect(NetworkNamespace ns, string address, int port, int count) =>
        ns.Exec(Python, "-c", Clients, address, port.ToString(System.Globalization.CultureInfo.InvariantCulture), count.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public static string Get(NetworkNamespace ns, string url) => ns.Exec(Python, "-c", HttpGet, url).Stdout;
}
