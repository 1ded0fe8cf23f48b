using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Trellis.Engine;
using Trellis.Engine.Contracts;
using Trellis.Server.Live;
using Trellis.Server.Tests.Infrastructure;

namespace Trellis.Server.Tests.Live;

/// <summary>
/// GET /api/v1/sites/{site}/events: the current revision first, then every commit to the site's state file by any writer
/// (here another session on the same file, as the CLI in another process would), each with the revision as its event id.
/// </summary>
public sealed class LiveUpdateTests
{
    private static readonly Dictionary<string, string> Worked = new() { ["worked"] = "worked-example.yaml" };
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(10);

    private static Task<TestServer> StartAsync() => TestServer.StartAsync(Worked, o => o with { PollInterval = Tick });

    private static async Task<long> ScaleAsync(TestServer server, int count)
    {
        await using var session = EngineSession.OpenSqlite(Path.Combine(server.DataDirectory, "sites", "worked.db"), write: true);
        var outcome = (await session.Engine.ExecuteAsync(new ScaleNodePool("b", "linuxpool", count))).Outcome();
        Assert.False(outcome.HasErrors);
        return outcome.Revision;
    }

    [Fact]
    public async Task Events_start_at_the_current_revision_and_follow_a_commit_by_another_writer()
    {
        await using var server = await StartAsync();
        using var client = server.Client();
        await using var stream = await SseStream.OpenAsync(client, "api/v1/sites/worked/events");
        Assert.Equal(HttpStatusCode.OK, stream.Response.StatusCode);
        Assert.Equal("text/event-stream", stream.Response.Content.Headers.ContentType?.MediaType);

        var first = await stream.NextAsync(Within);
        Assert.Equal(("1", "revision"), (first!.Id, first.Type));
        Assert.Equal(("worked", 1L), (first.Json["site"]!.GetValue<string>(), first.Json["revision"]!.GetValue<long>()));

        var revision = await ScaleAsync(server, 2);
        var next = await stream.NextAsync(Within);
        Assert.Equal(revision.ToString(System.Globalization.CultureInfo.InvariantCulture), next!.Id);
        Assert.Equal(revision, next.Json["revision"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_client_that_names_the_current_revision_as_last_event_id_hears_only_what_comes_after()
    {
        await using var server = await StartAsync();
        using var client = server.Client();
        await using var stream = await SseStream.OpenAsync(client, "api/v1/sites/worked/events", lastEventId: "1");
        var revision = await ScaleAsync(server, 2);
        Assert.Equal(revision, (await stream.NextAsync(Within))!.Json["revision"]!.GetValue<long>());
    }

    [Fact]
    public async Task Subscribers_of_a_site_share_one_watcher_which_stops_when_the_last_leaves()
    {
        await using var server = await StartAsync();
        var watchers = server.App.Services.GetRequiredService<SiteWatchers>();
        using var client = server.Client();
        Assert.Empty(watchers.Watched);

        var one = await SseStream.OpenAsync(client, "api/v1/sites/worked/events");
        var two = await SseStream.OpenAsync(client, "api/v1/sites/worked/events");
        Assert.NotNull(await one.NextAsync(Within));
        Assert.NotNull(await two.NextAsync(Within));
        Assert.Equal(["worked"], watchers.Watched);

        // Both hear one commit from the one poller.
        var revision = await ScaleAsync(server, 2);
        Assert.Equal(revision, (await one.NextAsync(Within))!.Json["revision"]!.GetValue<long>());
        Assert.Equal(revision, (await two.NextAsync(Within))!.Json["revision"]!.GetValue<long>());

        await one.DisposeAsync();
        await Task.Delay(Tick * 4);
        Assert.Equal(["worked"], watchers.Watched);
        await two.DisposeAsync();
        await Eventually(() => watchers.Watched.Count == 0);
    }

    [Fact]
    public async Task The_stream_of_a_deleted_site_ends()
    {
        await using var server = await StartAsync();
        using var client = server.Client();
        await using var stream = await SseStream.OpenAsync(client, "api/v1/sites/worked/events");
        Assert.NotNull(await stream.NextAsync(Within));
        File.Move(Path.Combine(server.DataDirectory, "sites", "worked.db"), Path.Combine(server.DataDirectory, "worked.db.removed"));
        Assert.Null(await stream.NextAsync(Within));
    }

    [Fact]
    public async Task A_stream_ends_after_its_lifetime_and_a_reconnect_with_last_event_id_misses_nothing()
    {
        await using var server = await TestServer.StartAsync(Worked, o => o with { PollInterval = Tick, EventStreamLifetime = TimeSpan.FromMilliseconds(300) });
        using var client = server.Client();
        await using (var stream = await SseStream.OpenAsync(client, "api/v1/sites/worked/events"))
        {
            Assert.Equal("1", (await stream.NextAsync(Within))!.Id);
            Assert.Null(await stream.NextAsync(Within));
        }

        var revision = await ScaleAsync(server, 2);
        await using var again = await SseStream.OpenAsync(client, "api/v1/sites/worked/events", lastEventId: "1");
        Assert.Equal(revision, (await again.NextAsync(Within))!.Json["revision"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_silent_stream_sends_heartbeats_without_an_id_and_still_delivers_the_next_revision()
    {
        await using var server = await TestServer.StartAsync(Worked, o => o with { PollInterval = Tick, EventHeartbeat = TimeSpan.FromMilliseconds(150) });
        using var client = server.Client();
        await using var stream = await SseStream.OpenAsync(client, "api/v1/sites/worked/events");
        Assert.Equal("1", (await stream.NextAsync(Within))!.Id);
        for (var i = 0; i < 2; i++)
        {
            var beat = (await stream.NextAsync(Within))!;
            Assert.Equal(("heartbeat", null), (beat.Type, beat.Id));
        }

        var revision = await ScaleAsync(server, 2);
        SseEvent? next;
        do
        {
            next = await stream.NextAsync(Within);
        }
        while (next?.Type == "heartbeat");
        Assert.Equal(("revision", revision.ToString(System.Globalization.CultureInfo.InvariantCulture)), (next!.Type, next.Id));
    }

    [Fact]
    public async Task Asked_for_json_only_the_endpoint_answers_the_current_revision_as_one_document()
    {
        await using var server = await StartAsync();
        using var client = server.Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("api/v1/sites/worked/events", UriKind.Relative));
        request.Headers.Accept.ParseAdd("application/json");
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("\"1\"", response.Headers.ETag?.Tag);
        var body = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(("worked", 1L), (body["site"]!.GetValue<string>(), body["revision"]!.GetValue<long>()));
    }

    [Fact]
    public async Task Events_of_an_unknown_site_are_a_problem_document()
    {
        await using var server = await StartAsync();
        using var client = server.Client();
        var response = await client.GetAsync(new Uri("api/v1/sites/nosuch/events", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    private static async Task Eventually(Func<bool> condition)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < Within, "The condition did not hold in time.");
            await Task.Delay(Tick);
        }
    }
}
