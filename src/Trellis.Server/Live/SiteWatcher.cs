using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Trellis.Engine;

namespace Trellis.Server.Live;

/// <summary>
/// Watches one site for its subscribers: follows the site's revisions on one held read-only session (the store's change feed:
/// an etcd watch, or a poll every <see cref="ServerOptions.PollInterval"/> on SQLite), so that a commit by any writer (this
/// server, the CLI, another server) reaches every subscriber as it happens, or within a tick. Each subscriber holds only the newest revision it has not read: a slow reader skips
/// revisions rather than holding the watcher up.
/// </summary>
internal sealed class SiteWatcher : IAsyncDisposable
{
    private readonly EngineSession _session;
    private readonly List<Channel<long>> _subscribers = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _following;
    private readonly Task _checking;
    private long _revision;

    private SiteWatcher(string site, EngineSession session, long revision, Func<CancellationToken, Task<bool>> exists, ServerOptions options, ILogger logger)
    {
        Site = site;
        _session = session;
        _revision = revision;
        _following = FollowAsync(options, logger);
        _checking = CheckExistsAsync(exists, options, logger);
    }

    public string Site { get; }

    public long Revision => Interlocked.Read(ref _revision);

    /// <summary>How many subscribers read from it.</summary>
    public int Count
    {
        get
        {
            lock (_subscribers)
            {
                return _subscribers.Count;
            }
        }
    }

    public static async Task<SiteWatcher> StartAsync(Fleet fleet, string site, ServerOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var session = fleet.Open(site, write: false);
        try
        {
            var revision = await session.Engine.ReadRevisionAsync(cancellationToken).ConfigureAwait(false);
            return new SiteWatcher(site, session, revision, ct => fleet.ExistsAsync(site, ct), options, logger);
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A new subscriber's channel, holding the current revision as its first item.</summary>
    public ChannelReader<long> Add()
    {
        var channel = Channel.CreateBounded<long>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        lock (_subscribers)
        {
            channel.Writer.TryWrite(Revision);
            _subscribers.Add(channel);
        }

        return channel.Reader;
    }

    /// <summary>Removes a subscriber; answers how many remain.</summary>
    public int Remove(ChannelReader<long> reader)
    {
        lock (_subscribers)
        {
            _subscribers.RemoveAll(c => c.Reader == reader);
            return _subscribers.Count;
        }
    }

    private async Task FollowAsync(ServerOptions options, ILogger logger)
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                // A watch on etcd (another process's commit arrives as it happens); a poll every PollInterval on SQLite.
                await foreach (var revision in _session.Engine.WatchRevisionsAsync(options.PollInterval, _stop.Token).ConfigureAwait(false))
                {
                    if (revision != Interlocked.Exchange(ref _revision, revision))
                    {
                        Publish(revision);
                    }
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (EngineFailures.Classify(e) is not null)
            {
                logger.LogWarning("Following the revisions of site {Site} failed: {Reason}", Site, e.Message);
            }

            // The feed ended with a failure: follow again after a pause.
            if (!await PauseAsync(options).ConfigureAwait(false))
            {
                return;
            }
        }
    }

    /// <summary>Ends the subscribers' streams when the site is deleted, checked every <see cref="ServerOptions.PollInterval"/>.</summary>
    private async Task CheckExistsAsync(Func<CancellationToken, Task<bool>> exists, ServerOptions options, ILogger logger)
    {
        while (await PauseAsync(options).ConfigureAwait(false))
        {
            try
            {
                if (!await exists(_stop.Token).ConfigureAwait(false))
                {
                    Complete();
                    await _stop.CancelAsync().ConfigureAwait(false);
                    return;
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is Stores.FleetStoreException)
            {
                logger.LogWarning("Reading whether site {Site} is there failed: {Reason}", Site, e.Message);
            }
        }
    }

    /// <summary>Waits a poll interval; false when the watcher stops meanwhile.</summary>
    private async Task<bool> PauseAsync(ServerOptions options)
    {
        try
        {
            await Task.Delay(options.PollInterval, options.Time, _stop.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private void Publish(long revision)
    {
        lock (_subscribers)
        {
            foreach (var channel in _subscribers)
            {
                channel.Writer.TryWrite(revision);
            }
        }
    }

    private void Complete()
    {
        lock (_subscribers)
        {
            foreach (var channel in _subscribers)
            {
                channel.Writer.TryComplete();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _following.ConfigureAwait(false);
        await _checking.ConfigureAwait(false);
        Complete();
        _stop.Dispose();
        await _session.DisposeAsync().ConfigureAwait(false);
    }
}
