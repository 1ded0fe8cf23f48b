using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Trellis.Server.Live;

namespace Trellis.Server.Endpoints;

/// <summary>
/// Live updates: GET /api/v1/sites/{site}/events, server-sent events of type <c>revision</c>, one per change of the site
/// (whoever made it), the event id being the revision. The first event is the current revision, unless the client's
/// Last-Event-ID already names it. A client reads the views again when one arrives. A stream ends after
/// <see cref="ServerOptions.EventStreamLifetime"/>: the client reconnects with Last-Event-ID and misses nothing (a revision
/// says all), and its token is checked again, so a revoked token stops hearing. Asked for application/json only, the
/// endpoint answers the current revision as one document instead. A stream silent for <see cref="ServerOptions.EventHeartbeat"/>
/// sends a <c>heartbeat</c> event (no data), which clients ignore: it keeps proxies from closing the connection as idle.
/// </summary>
internal static class EventEndpoints
{
    public const string EventType = "revision";

    public const string HeartbeatType = "heartbeat";

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/sites/{site}/events", EventsAsync).Requires(AccessRole.Reader).WithName("WatchSite");
    }

    private static async Task<IResult> EventsAsync(string site, Fleet fleet, SiteWatchers watchers, ServerOptions options, HttpContext context)
    {
        if (!await fleet.ExistsAsync(site, context.RequestAborted).ConfigureAwait(false))
        {
            return Problems.SiteNotFound(site);
        }

        if (WantsJson(context.Request))
        {
            await using var session = fleet.Open(site, write: false);
            var current = await session.Engine.ReadRevisionAsync(context.RequestAborted).ConfigureAwait(false);
            context.Response.Headers.ETag = Api.ETag(current);
            return TypedResults.Json(new SiteEvent(site, current), ServerJson.Default.SiteEvent);
        }

        var subscription = await watchers.SubscribeAsync(site, context.RequestAborted).ConfigureAwait(false);
        context.Response.RegisterForDisposeAsync(subscription);
        long? seen = long.TryParse(context.Request.Headers["Last-Event-ID"], out var last) ? last : null;
        // A proxy in between must pass each event on as it comes, not buffer the stream.
        context.Response.Headers["X-Accel-Buffering"] = "no";
        var lifetime = new CancellationTokenSource(options.EventStreamLifetime, options.Time);
        context.Response.RegisterForDispose(lifetime);
        var ends = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.Token);
        context.Response.RegisterForDispose(ends);
        return TypedResults.ServerSentEvents(Stream(site, subscription, seen, context.Response, options, ends.Token));
    }

    private static bool WantsJson(HttpRequest request)
    {
        var accept = request.GetTypedHeaders().Accept;
        return accept.Count > 0 && accept.All(a => a.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase));
    }

    private static async IAsyncEnumerable<SseItem<string>> Stream(string site, SiteWatchers.Subscription subscription, long? seen, HttpResponse response,
        ServerOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using (subscription.ConfigureAwait(false))
        {
            // The headers go out now: a client that already has the current revision hears nothing until the next one.
            await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
            var revisions = subscription.Revisions;
            // One wait for the next revision at a time, kept across heartbeats (the channel has a single reader).
            Task<bool>? waiting = null;
            while (true)
            {
                waiting ??= revisions.WaitToReadAsync(cancellationToken).AsTask();
                var next = await NextAsync(waiting, options, cancellationToken).ConfigureAwait(false);
                if (next == Next.End)
                {
                    yield break;
                }

                if (next == Next.Heartbeat)
                {
                    yield return new SseItem<string>(string.Empty, HeartbeatType);
                    continue;
                }

                waiting = null;
                while (revisions.TryRead(out var revision))
                {
                    if (revision == seen)
                    {
                        continue;
                    }

                    seen = revision;
                    var data = JsonSerializer.Serialize(new SiteEvent(site, revision), ServerJson.Default.SiteEvent);
                    yield return new SseItem<string>(data, EventType) { EventId = revision.ToString(System.Globalization.CultureInfo.InvariantCulture) };
                }
            }
        }
    }

    private enum Next
    {
        Revision,
        Heartbeat,
        End,
    }

    /// <summary>
    /// A revision to read, a heartbeat due (nothing for <see cref="ServerOptions.EventHeartbeat"/>), or the end of the stream
    /// (the site deleted, the stream's lifetime over, the client gone).
    /// </summary>
    private static async Task<Next> NextAsync(Task<bool> waiting, ServerOptions options, CancellationToken cancellationToken)
    {
        try
        {
            using var quiet = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var beat = Task.Delay(options.EventHeartbeat, options.Time, quiet.Token);
            if (await Task.WhenAny(waiting, beat).ConfigureAwait(false) == beat)
            {
                await beat.ConfigureAwait(false);
                return Next.Heartbeat;
            }

            await quiet.CancelAsync().ConfigureAwait(false);
            return await waiting.ConfigureAwait(false) ? Next.Revision : Next.End;
        }
        catch (OperationCanceledException)
        {
            return Next.End;
        }
    }
}
