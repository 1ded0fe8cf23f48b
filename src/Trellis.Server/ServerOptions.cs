using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace Trellis.Server;

/// <summary>How a server runs: where its fleet lives and where it listens.</summary>
public sealed record ServerOptions
{
    /// <summary>
    /// The server's folder: <c>sites/</c> holds the manifests stored per cluster; and, without an etcd <see cref="Store"/>, the
    /// fleet: each site a state file <c>sites/&lt;name&gt;.db</c> (the CLI's <c>--state</c> opens the same file), the fleet's own
    /// state <c>fleet.db</c> and its access tokens <c>server.db</c>.
    /// </summary>
    public required string DataDirectory { get; init; }

    /// <summary>
    /// Where the fleet is kept: null (or a SQLite location) for the files of <see cref="DataDirectory"/>; an etcd location
    /// without a site for keyspaces on that cluster, shared with other servers, the CLI and the PowerShell module
    /// (docs/server.md, "Several servers on etcd").
    /// </summary>
    public Trellis.Engine.StoreLocation? Store { get; init; }

    /// <summary>This server's name among the replicas registered on etcd; null: the host's name, the process id and a random suffix.</summary>
    public string? ReplicaId { get; init; }

    /// <summary>The time to live of a replica's registration on etcd: how long a replica that died without a word stays listed.</summary>
    public TimeSpan ReplicaTtl { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The URLs to listen on; a port of 0 takes a free one (tests).</summary>
    public IReadOnlyList<string> Urls { get; init; } = [DefaultUrl];

    /// <summary>Loopback only unless the operator says otherwise.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>The largest request body accepted (a site spec is a few kilobytes; manifests for a policy question more).</summary>
    public long MaxRequestBodyBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>The clock (audit times, token expiry, plan lifetimes); tests give a fake one.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>How long a plan made with POST …/plans/{command} can be applied.</summary>
    public TimeSpan PlanLifetime { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>The most plans held at once (the oldest is dropped first): each holds its site's planned allocations.</summary>
    public int MaxPlans { get; init; } = 256;

    /// <summary>How often an open site's revision is polled for live updates (another process's commit shows within it).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long one live-update stream lasts before the server ends it (the client reconnects; its token is checked again).</summary>
    public TimeSpan EventStreamLifetime { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long an event stream stays silent before a <c>heartbeat</c> event: proxies and load balancers close connections idle
    /// for a minute or so, and a client learns that a stream that hears nothing is still open.
    /// </summary>
    public TimeSpan EventHeartbeat { get; init; } = TimeSpan.FromSeconds(25);

    /// <summary>A pool at or over this fraction of its usable size raises a warning alert (default 80 %).</summary>
    public double WarnUtilization { get; init; } = 0.80;

    /// <summary>A pool at or over this fraction of its usable size raises a critical alert (default 95 %).</summary>
    public double CriticalUtilization { get; init; } = 0.95;

    /// <summary>Requests per token (per client address without one) in each window; <see cref="Security.RateLimit.Off"/> for none.</summary>
    public Security.RateLimit RateLimit { get; init; } = Security.RateLimit.Default;

    /// <summary>The TLS certificate (with its private key) for https:// URLs; none: plain HTTP, on loopback only unless allowed.</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>Plain HTTP on an address other than loopback: tokens would cross the network readable by anyone on the path.</summary>
    public bool AllowInsecureHttp { get; init; }

    /// <summary>More logging set-up (tests capture the log through it).</summary>
    public Action<ILoggingBuilder>? ConfigureLogging { get; init; }
}
