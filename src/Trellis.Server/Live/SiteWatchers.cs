using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Trellis.Server.Live;

/// <summary>
/// One <see cref="SiteWatcher"/> per site someone watches, shared by all its subscribers: started by the first subscriber,
/// stopped (its session closed) when the last one leaves, so that a site nobody watches costs nothing.
/// </summary>
public sealed class SiteWatchers(Fleet fleet, ServerOptions options, ILogger<SiteWatchers> logger) : IAsyncDisposable
{
    private readonly Dictionary<string, SiteWatcher> _watchers = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>The sites watched now.</summary>
    public IReadOnlyList<string> Watched
    {
        get
        {
            _gate.Wait();
            try
            {
                return [.. _watchers.Keys.Order(StringComparer.Ordinal)];
            }
            finally
            {
                _gate.Release();
            }
        }
    }

    /// <summary>Subscribes to site <paramref name="site"/> (which must exist): its current revision first, then each new one.</summary>
    public async Task<Subscription> SubscribeAsync(string site, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_watchers.TryGetValue(site, out var watcher))
            {
                watcher = await SiteWatcher.StartAsync(fleet, site, options, logger, cancellationToken).ConfigureAwait(false);
                _watchers[site] = watcher;
            }

            return new Subscription(this, watcher, watcher.Add());
        }
        finally
        {
            _gate.Release();
        }
    }

    private async ValueTask LeaveAsync(SiteWatcher watcher, ChannelReader<long> reader)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (watcher.Remove(reader) > 0 || !_watchers.Remove(watcher.Site))
            {
                return;
            }
        }
        finally
        {
            _gate.Release();
        }

        await watcher.DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        List<SiteWatcher> watchers;
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            watchers = [.. _watchers.Values];
            _watchers.Clear();
        }
        finally
        {
            _gate.Release();
        }

        foreach (var watcher in watchers)
        {
            await watcher.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>One subscriber's revisions of one site; disposing it leaves the watcher.</summary>
    public sealed class Subscription : IAsyncDisposable
    {
        private readonly SiteWatchers _owner;
        private readonly SiteWatcher _watcher;
        private int _left;

        internal Subscription(SiteWatchers owner, SiteWatcher watcher, ChannelReader<long> revisions)
        {
            _owner = owner;
            _watcher = watcher;
            Revisions = revisions;
        }

        /// <summary>The current revision, then every new one (the newest only, when several came between two reads); ends when the site is deleted.</summary>
        public ChannelReader<long> Revisions { get; }

        public ValueTask DisposeAsync() =>
            Interlocked.Exchange(ref _left, 1) == 0 ? _owner.LeaveAsync(_watcher, Revisions) : ValueTask.CompletedTask;
    }
}
