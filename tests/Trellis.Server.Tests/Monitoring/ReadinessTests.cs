using System.Net;
using System.Text.Json.Nodes;
using Trellis.Server.Tests.Infrastructure;

namespace Trellis.Server.Tests.Monitoring;

/// <summary>/readyz: ready when the fleet's folder is usable and every site's state file opens; 503 otherwise, naming no site.</summary>
public sealed class ReadinessTests
{
    private static readonly Dictionary<string, string> Worked = new() { ["worked"] = "worked-example.yaml" };

    [Fact]
    public async Task Ready_when_the_folder_is_writable_and_every_site_opens()
    {
        await using var server = await TestServer.StartAsync(Worked);
        using var client = server.Client();
        var response = await client.GetAsync(new Uri("readyz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("ready", body["status"]!.GetValue<string>());
        Assert.All(body["checks"]!.AsArray(), c => Assert.True(c!["ok"]!.GetValue<bool>()));
        Assert.Empty(Directory.GetFiles(Path.Combine(server.DataDirectory, "sites"), ".readyz-*"));
    }

    [Fact]
    public async Task Not_ready_when_a_site_file_is_not_a_state_file_and_the_answer_names_no_site()
    {
        await using var server = await TestServer.StartAsync(Worked);
        // Put in place whole, as in FleetGovernanceApiTests: an empty garbled.db the server opened meanwhile would be a database.
        var garbled = Path.Combine(server.DataDirectory, "garbled.tmp");
        await File.WriteAllTextAsync(garbled, "this is not a SQLite database, and it is long enough to have a header");
        File.Move(garbled, Path.Combine(server.DataDirectory, "sites", "garbled.db"));
        using var client = server.Client();
        var response = await client.GetAsync(new Uri("readyz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        var sites = JsonNode.Parse(text)!["checks"]!.AsArray().Single(c => c!["name"]!.GetValue<string>() == "sites")!;
        Assert.False(sites["ok"]!.GetValue<bool>());
        Assert.Contains("1 of 2", sites["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain("garbled", text, StringComparison.Ordinal);
    }
}
