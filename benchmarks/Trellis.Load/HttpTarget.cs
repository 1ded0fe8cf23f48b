using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Trellis.Load;

/// <summary>
/// The server's REST API, as a client with its own token and connection sees it. Its writes send <c>If-Match: *</c> when
/// <see cref="Writes"/> is <see cref="WriteMode.Latest"/>, else the revision the client decided on.
/// </summary>
public sealed class HttpTarget : ILoadTarget
{
    private readonly HttpClient _client;
    private readonly string _site;

    public HttpTarget(Uri server, string token, string site, WriteMode writes)
    {
        Writes = writes;
        _client = new HttpClient { BaseAddress = server, Timeout = TimeSpan.FromSeconds(60) };
        _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        _site = site;
    }

    public WriteMode Writes { get; }

    public async Task<(bool Ok, string Detail)> ReadAsync(ReadKind kind, string cluster, CancellationToken ct)
    {
        var path = kind switch
        {
            ReadKind.Allocations => $"api/v1/sites/{_site}/allocations?cluster={cluster}",
            ReadKind.Pools => $"api/v1/sites/{_site}/pools",
            _ => $"api/v1/sites/{_site}",
        };
        using var response = await _client.GetAsync(new Uri(path, UriKind.Relative), HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        return response.IsSuccessStatusCode ? (true, "") : (false, $"GET {path}: {(int)response.StatusCode}");
    }

    public async Task<long> RevisionAsync(CancellationToken ct)
    {
        using var response = await _client.GetAsync(new Uri($"api/v1/sites/{_site}", UriKind.Relative), ct).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        return RevisionOf(response.Headers.ETag) ?? throw new InvalidOperationException("GET site answered no ETag.");
    }

    public async Task<WriteOutcome> WriteAsync(LoadWrite write, long expectedRevision, CancellationToken ct)
    {
        var (command, body) = write switch
        {
            AddServiceWrite s => ("add-service", new JsonObject { ["cluster"] = s.Cluster, ["namespace"] = s.Namespace, ["name"] = s.Name, ["ports"] = new JsonArray(443) }),
            ScaleWrite s => ("scale", new JsonObject { ["cluster"] = s.Cluster, ["nodePool"] = s.NodePool, ["count"] = s.Count }),
            _ => throw new ArgumentException(write.ToString(), nameof(write)),
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"api/v1/sites/{_site}/commands/{command}", UriKind.Relative))
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.IfMatch.Add(Writes == WriteMode.Latest ? EntityTagHeaderValue.Any : new EntityTagHeaderValue($"\"{expectedRevision}\""));
        using var response = await _client.SendAsync(request, ct).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        var revision = JsonNode.Parse(text)?["revision"]?.GetValue<long>();
        return response.StatusCode switch
        {
            HttpStatusCode.OK => new WriteOutcome(WriteStatus.Committed, RevisionOf(response.Headers.ETag) ?? revision),
            HttpStatusCode.PreconditionFailed or HttpStatusCode.Conflict => new WriteOutcome(WriteStatus.Stale, revision),
            HttpStatusCode.UnprocessableEntity => new WriteOutcome(WriteStatus.Refused, revision, text),
            _ => new WriteOutcome(WriteStatus.Failed, null, $"{(int)response.StatusCode} {text}"),
        };
    }

    private static long? RevisionOf(EntityTagHeaderValue? tag) => tag is null ? null : long.Parse(tag.Tag.Trim('"'), System.Globalization.CultureInfo.InvariantCulture);

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }
}
