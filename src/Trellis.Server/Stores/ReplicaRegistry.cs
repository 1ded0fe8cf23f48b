using System.Security.Cryptography;
using System.Text.Json;
using Etcdserverpb;
using Google.Protobuf;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Trellis.Server.Stores;

/// <summary>One server of the fleet's store: its name, the URLs it listens on, and when it started.</summary>
public sealed record Replica(string Id, IReadOnlyList<string> Urls, DateTimeOffset StartedAt);

/// <summary>
/// The servers that share a store on etcd: each registers itself under <c>&lt;root&gt;servers/&lt;id&gt;</c> on a lease of
/// <see cref="ServerOptions.ReplicaTtl"/> that it keeps alive, and revokes it when it stops; a server that dies without a
/// word disappears when its lease runs out. Without etcd the server is its only replica.
/// </summary>
public sealed partial class ReplicaRegistry : IHostedLifecycleService, IAsyncDisposable
{
    private readonly EtcdConnection? _etcd;
    private readonly ServerOptions _options;
    private readonly IServer _server;
    private readonly ILogger<ReplicaRegistry> _logger;
    private readonly CancellationTokenSource _stop = new();
    private Task _keepAlive = Task.CompletedTask;
    private long _lease;
    private int _disposed;

    public ReplicaRegistry(ServerOptions options, IServer server, ILogger<ReplicaRegistry> logger, EtcdConnection? etcd = null)
    {
        _etcd = etcd;
        _options = options;
        _server = server;
        _logger = logger;
        Self = new Replica(options.ReplicaId ?? NewId(), options.Urls, options.Time.GetUtcNow());
    }

    /// <summary>This server as it registers itself (its URLs as bound once it listens).</summary>
    public Replica Self { get; private set; }

    private string Prefix => _etcd!.Location.Root + "servers/";

    /// <summary>The replicas registered now, by id; without etcd, this server alone.</summary>
    public async Task<IReadOnlyList<Replica>> ListAsync(CancellationToken cancellationToken)
    {
        if (_etcd is null)
        {
            return [Self];
        }

        var request = new RangeRequest { Key = ByteString.CopyFromUtf8(Prefix), RangeEnd = ByteString.CopyFromUtf8(Prefix[..^1] + "0") };
        var response = await _etcd.CallAsync(ct => _etcd.Client.GetAsync(request, cancellationToken: ct), "list the servers", cancellationToken).ConfigureAwait(false);
        var replicas = new List<Replica>();
        foreach (var kv in response.Kvs)
        {
            try
            {
                if (JsonSerializer.Deserialize(kv.Value.Span, ServerJson.Default.Replica) is { } replica)
                {
                    replicas.Add(replica);
                }
            }
            catch (JsonException e)
            {
                NotAReplica(_logger, kv.Key.ToStringUtf8(), e.Message);
            }
        }

        return [.. replicas.OrderBy(r => r.Id, StringComparer.Ordinal)];
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_etcd is null)
        {
            return;
        }

        var ttl = (long)Math.Max(1, Math.Ceiling(_options.ReplicaTtl.TotalSeconds));
        var grant = await _etcd.CallAsync(ct => _etcd.Client.LeaseGrantAsync(new LeaseGrantRequest { TTL = ttl }, cancellationToken: ct),
            "grant this server's lease", cancellationToken).ConfigureAwait(false);
        _lease = grant.ID;
        await PutAsync(cancellationToken).ConfigureAwait(false);
        _keepAlive = KeepAliveAsync(_stop.Token);
    }

    /// <summary>Once the server listens, the registration says where (a port of 0 is chosen only then).</summary>
    public async Task StartedAsync(CancellationToken cancellationToken)
    {
        if (_etcd is null || _lease == 0 || _server.Features.Get<IServerAddressesFeature>()?.Addresses is not { Count: > 0 } addresses)
        {
            return;
        }

        Self = Self with { Urls = [.. addresses] };
        await PutAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_etcd is null || _lease == 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _keepAlive.ConfigureAwait(false);
        try
        {
            // The registration goes with its lease at once.
            await _etcd.CallAsync(ct => _etcd.Client.LeaseRevokeAsync(new LeaseRevokeRequest { ID = _lease }, cancellationToken: ct),
                "revoke this server's lease", cancellationToken).ConfigureAwait(false);
        }
        catch (FleetStoreException e)
        {
            // It then runs out by itself.
            NotRevoked(_logger, Self.Id, e.Message);
        }

        _lease = 0;
    }

    /// <summary>For tests: stops keeping the lease alive without revoking it, as a server killed outright would.</summary>
    internal async Task AbandonAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _keepAlive.ConfigureAwait(false);
        _lease = 0;
    }

    public async ValueTask DisposeAsync()
    {
        // The container disposes it twice: as itself and as a hosted service.
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            await _keepAlive.ConfigureAwait(false);
            _stop.Dispose();
        }
    }

    private Task PutAsync(CancellationToken cancellationToken)
    {
        var put = new PutRequest
        {
            Key = ByteString.CopyFromUtf8(Prefix + Self.Id),
            Value = ByteString.CopyFrom(JsonSerializer.SerializeToUtf8Bytes(Self, ServerJson.Default.Replica)),
            Lease = _lease,
        };
        return _etcd!.CallAsync(ct => _etcd.Client.PutAsync(put, cancellationToken: ct), "register this server", cancellationToken);
    }

    private async Task KeepAliveAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await _etcd!.Client.LeaseKeepAlive(_lease, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e) when (e is Grpc.Core.RpcException or IOException or HttpRequestException or InvalidOperationException)
            {
                // A member went away: keep the lease alive through another.
                NotKeptAlive(_logger, Self.Id, e.Message);
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), _options.Time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static string NewId() =>
        $"{Environment.MachineName.ToLowerInvariant()}-{Environment.ProcessId}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";

    [LoggerMessage(Level = LogLevel.Warning, Message = "The registration {Key} on etcd is not a server's: {Reason}")]
    private static partial void NotAReplica(ILogger logger, string key, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Server {Id}: its lease was not revoked ({Reason}); its registration ends when the lease runs out")]
    private static partial void NotRevoked(ILogger logger, string id, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Server {Id}: keeping its lease alive failed ({Reason}); trying again")]
    private static partial void NotKeptAlive(ILogger logger, string id, string reason);
}
