using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Trellis.Engine;
using Trellis.Server.Tests.Infrastructure;

namespace Trellis.Server.Tests.Monitoring;

/// <summary>
/// /metrics in the Prometheus text format: every pool of every site (size, allocated, free, utilization, alert level,
/// upgrade fit), API latency per endpoint pattern, and the writes per site as the API answered them.
/// </summary>
public sealed partial class MetricsTests
{
    private static readonly Dictionary<string, string> Sites = new() { ["worked"] = "worked-example.yaml", ["dhcp"] = "dhcp-site.yaml" };

    internal static async Task<Dictionary<string, double>> ScrapeAsync(HttpClient client)
    {
        var response = await client.GetAsync(new Uri("metrics", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in (await response.Content.ReadAsStringAsync()).Split('\n'))
        {
            if (line.Length > 0 && line[0] != '#' && Sample().Match(line) is { Success: true } m)
            {
                samples[m.Groups[1].Value] = double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
            }
        }

        return samples;
    }

    [Fact]
    public async Task Every_pool_of_every_site_is_a_series_with_the_engines_counts()
    {
        await using var server = await TestServer.StartAsync(Sites);
        using var client = server.Client();
        var samples = await ScrapeAsync(client);
        foreach (var site in Sites.Keys)
        {
            await using var session = EngineSession.OpenSqlite(Path.Combine(server.DataDirectory, "sites", site + ".db"), write: false);
            var pools = SiteViews.Pools(await session.Engine.ReadAsync());
            Assert.NotEmpty(pools);
            foreach (var pool in pools)
            {
                var labels = $"{{site=\"{site}\",pool=\"{pool.Pool}\"}}";
                var ratio = (double)pool.Allocated / pool.Size;
                Assert.Equal(pool.Size, samples["trellis_pool_size" + labels]);
                Assert.Equal(pool.Allocated, samples["trellis_pool_allocated" + labels]);
                Assert.Equal(pool.Free, samples["trellis_pool_free" + labels]);
                Assert.Equal(ratio, samples["trellis_pool_utilization_ratio" + labels], 9);
                Assert.Equal(pool.Size <= 1 ? 0 : ratio >= 0.95 ? 2 : ratio >= 0.80 ? 1 : 0, samples["trellis_pool_alert_level" + labels]);
                Assert.Equal(0, samples["trellis_pool_upgrade_would_not_fit" + labels]);
            }

            Assert.Equal(1, samples[$"trellis_site_revision{{site=\"{site}\"}}"]);
        }

        Assert.Equal(2, samples["trellis_pool_alert_level{site=\"worked\",pool=\"net/mgmtvnet/vips\"}"]);
        Assert.Equal(2, samples["trellis_site_alert_level{site=\"worked\"}"]);
    }

    [Fact]
    public async Task A_deleted_sites_series_are_gone_at_the_next_scrape()
    {
        await using var server = await TestServer.StartAsync(Sites);
        using var client = server.Client();
        Assert.Contains(await ScrapeAsync(client), s => s.Key.Contains("site=\"dhcp\"", StringComparison.Ordinal));
        File.Delete(Path.Combine(server.DataDirectory, "sites", "dhcp.db"));
        var after = await ScrapeAsync(client);
        Assert.DoesNotContain(after, s => s.Key.Contains("site=\"dhcp\"", StringComparison.Ordinal));
        Assert.Contains(after, s => s.Key.Contains("site=\"worked\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Requests_are_timed_per_endpoint_pattern_not_per_path()
    {
        await using var server = await TestServer.StartAsync(Sites);
        using var client = server.Client();
        foreach (var site in Sites.Keys)
        {
            _ = await client.GetStringAsync(new Uri($"api/v1/sites/{site}/allocations", UriKind.Relative));
        }

        _ = await client.GetAsync(new Uri("api/v1/sites/nosuch/allocations", UriKind.Relative));
        var samples = await ScrapeAsync(client);
        const string Endpoint = "endpoint=\"/api/v1/sites/{site}/allocations\"";
        Assert.Equal(2, samples[$"trellis_http_request_duration_seconds_count{{method=\"GET\",{Endpoint},status=\"200\"}}"]);
        Assert.Equal(1, samples[$"trellis_http_request_duration_seconds_count{{method=\"GET\",{Endpoint},status=\"404\"}}"]);
        Assert.DoesNotContain(samples.Keys, k => k.Contains("nosuch", StringComparison.Ordinal) || k.Contains("sites/worked", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Plans_commits_conflicts_and_stale_writes_are_counted_per_site_as_the_api_answered_them()
    {
        await using var server = await TestServer.StartAsync(Sites);
        using var client = server.Client();
        static StringContent Scale(int count) => new($$"""{"cluster":"b","nodePool":"linuxpool","count":{{count}}}""", System.Text.Encoding.UTF8, "application/json");
        async Task<string> PlanAsync(int count)
        {
            using var made = await client.PostAsync(new Uri("api/v1/sites/worked/plans/scale", UriKind.Relative), Scale(count));
            Assert.Equal(HttpStatusCode.Created, made.StatusCode);
            return System.Text.Json.Nodes.JsonNode.Parse(await made.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
        }

        // A plan applied: one plan, one commit.
        var first = await PlanAsync(2);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync(new Uri($"api/v1/sites/worked/plans/{first}/apply", UriKind.Relative), null)).StatusCode);

        // A plan made, then the site moved on under it (another writer): its apply is a conflict.
        var second = await PlanAsync(1);
        await using (var session = EngineSession.OpenSqlite(Path.Combine(server.DataDirectory, "sites", "worked.db"), write: true))
        {
            Assert.False(Trellis.Engine.Contracts.CommandOutcomes.Outcome(await session.Engine.ExecuteAsync(new ScaleNodePool("b", "linuxpool", 3))).HasErrors);
        }

        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsync(new Uri($"api/v1/sites/worked/plans/{second}/apply", UriKind.Relative), null)).StatusCode);

        // A direct write with a stale If-Match.
        using var stale = new HttpRequestMessage(HttpMethod.Post, new Uri("api/v1/sites/worked/commands/scale", UriKind.Relative)) { Content = Scale(2) };
        stale.Headers.TryAddWithoutValidation("If-Match", "\"1\"");
        Assert.Equal(HttpStatusCode.PreconditionFailed, (await client.SendAsync(stale)).StatusCode);

        // A write with If-Match: *: planned on the state at hand, committed at once (no other writer: no retry).
        Assert.DoesNotContain((await ScrapeAsync(client)).Keys, k => k.StartsWith("trellis_write_retries_total{", StringComparison.Ordinal));
        using var any = new HttpRequestMessage(HttpMethod.Post, new Uri("api/v1/sites/worked/commands/scale", UriKind.Relative)) { Content = Scale(2) };
        any.Headers.TryAddWithoutValidation("If-Match", "*");
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(any)).StatusCode);

        var samples = await ScrapeAsync(client);
        Assert.Equal(0, samples["trellis_write_retries_total{site=\"worked\"}"]);
        Assert.Equal(2, samples["trellis_plans_total{site=\"worked\"}"]);
        Assert.Equal(2, samples["trellis_commits_total{site=\"worked\"}"]);
        Assert.Equal(1, samples["trellis_conflicts_total{site=\"worked\"}"]);
        Assert.Equal(1, samples["trellis_stale_writes_total{site=\"worked\"}"]);
        Assert.DoesNotContain(samples.Keys, k => k.StartsWith("trellis_commits_total{site=\"dhcp\"", StringComparison.Ordinal));
    }

    [GeneratedRegex(@"^([a-z_]+(?:\{.*\})?) (\S+)$")]
    private static partial Regex Sample();
}
