using System.Text.Json.Nodes;

namespace Trellis.Server.Tests.Live;

/// <summary>One server-sent event as a client reads it.</summary>
public sealed record SseEvent(string? Id, string? Type, string Data)
{
    public JsonNode Json => JsonNode.Parse(Data)!;
}

/// <summary>A client's open event stream: the response and its events, read one at a time with a time limit.</summary>
public sealed class SseStream : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private SseStream(HttpResponseMessage response, StreamReader reader)
    {
        _response = response;
        _reader = reader;
    }

    public HttpResponseMessage Response => _response;

    public static async Task<SseStream> OpenAsync(HttpClient client, string path, string? lastEventId = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        return new SseStream(response, new StreamReader(await response.Content.ReadAsStreamAsync()));
    }

    /// <summary>The next event, or null when the stream ends; fails the test after <paramref name="within"/>.</summary>
    public async Task<SseEvent?> NextAsync(TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within);
        string? id = null, type = null;
        var data = new List<string>();
        while (true)
        {
            var line = await _reader.ReadLineAsync(timeout.Token);
            if (line is null)
            {
                return null;
            }

            if (line.Length == 0)
            {
                if (data.Count > 0)
                {
                    return new SseEvent(id, type, string.Join('\n', data));
                }

                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var (field, value) = colon < 0 ? (line, "") : (line[..colon], line[(colon + 1)..].TrimStart(' '));
            switch (field)
            {
                case "id": id = value; break;
                case "event": type = value; break;
                case "data": data.Add(value); break;
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _response.Dispose();
        return ValueTask.CompletedTask;
    }
}
