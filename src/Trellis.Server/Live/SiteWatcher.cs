using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Trellis.Engine;

namespace Trellis.Server.Live;

/// <summary>
/// Watches one site for its subscribers: polls the site's revision on one held read-only session every
/// <see cref="ServerOptions.PollInterval"/>, so that a commit by any writer (this server, the CLI, another server) reaches
/// every subscriber within a tick. Each subscriber holds only the newest revision it has not read: a slow reader skips
/// revisions rather than holding the watcher up.
/// </summary>
internal sealed class SiteWatcher : IAsyncDisposable
{
    private readonly EngineSession _session;
    private readonly List<Channel<long>> _subscribers = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _polling;
    private long _revision;

    private SiteWatcher(string site, EngineSession session, long revision, Func<bool> exists, ServerOptions options, ILogger logger)
    {
        Site = site;
        _session = session;
        _revision = revision;
        _polling = PollAsync(exists, options, logger);
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
            return new SiteWatcher(site, session, revision, () => fleet.Exists(site), options, logger);
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

    private async Task PollAsync(Func<bool> exists, ServerOptions options, ILogger logger)
    {
        using var timer = new PeriodicTimer(options.PollInterval, options.Time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                if (!exists())
                {
                    // The site was deleted: its subscribers' streams end.
                    Complete();
                    return;
                }

                long revision;
                try
                {
                    revision = await _session.Engine.ReadRevisionAsync(_stop.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (EngineFailures.Classify(e) is not null)
                {
                    logger.LogWarning("Reading the revision of site {Site} failed: {Reason}", Site, e.Message);
                    continue;
                }

                if (revision != Interlocked.Exchange(ref _revision, revision))
                {
                    Publish(revision);
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
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
        await _polling.ConfigureAwait(false);
        Complete();
        _stop.Dispose();
        await _session.DisposeAsync().ConfigureAwait(false);
    }
}
