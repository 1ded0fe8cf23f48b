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
/// Last-Event-ID already names it. A client reads the views again when one arrives.
/// </summary>
internal static class EventEndpoints
{
    public const string EventType = "revision";

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/sites/{site}/events", EventsAsync).Requires(AccessRole.Reader).WithName("WatchSite");
    }

    private static async Task<IResult> EventsAsync(string site, Fleet fleet, SiteWatchers watchers, HttpContext context)
    {
        if (!fleet.Exists(site))
        {
            return Problems.SiteNotFound(site);
        }

        var subscription = await watchers.SubscribeAsync(site, context.RequestAborted).ConfigureAwait(false);
        context.Response.RegisterForDisposeAsync(subscription);
        long? seen = long.TryParse(context.Request.Headers["Last-Event-ID"], out var last) ? last : null;
        // A proxy in between must pass each event on as it comes, not buffer the stream.
        context.Response.Headers["X-Accel-Buffering"] = "no";
        return TypedResults.ServerSentEvents(Stream(site, subscription, seen, context.Response, context.RequestAborted));
    }

    private static async IAsyncEnumerable<SseItem<string>> Stream(string site, SiteWatchers.Subscription subscription, long? seen, HttpResponse response,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using (subscription.ConfigureAwait(false))
        {
            // The headers go out now: a client that already has the current revision hears nothing until the next one.
            await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
            await foreach (var revision in subscription.Revisions.ReadAllAsync(cancellationToken).ConfigureAwait(false))
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
