using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using Trellis.Engine;
using Trellis.Engine.Contracts;

namespace Trellis.Server.Endpoints;

/// <summary>
/// What every endpoint of a site shares: the site's entity tag (its store revision) on every answer, 304 when the client
/// holds the current one, the request body read strictly (400 naming the JSON path, 413, 415), and the preconditions of a write.
/// </summary>
internal static class Api
{
    /// <summary>Requests are read strictly: a member the type does not have, a missing required one, or a null where a value is required is refused.</summary>
    private static readonly JsonSerializerOptions Strict = new(ServerJson.Default.Options)
    {
        RespectNullableAnnotations = true,
        TypeInfoResolver = ServerJson.Default.WithAddedModifier(RequireValues),
    };

    /// <summary>
    /// A constructor parameter without a default that cannot be null must be given (RespectRequiredConstructorParameters would
    /// require the nullable ones too, which responses leave out when they are null).
    /// </summary>
    private static void RequireValues(JsonTypeInfo type)
    {
        foreach (var property in type.Properties)
        {
            if (property.AssociatedParameter is { HasDefaultValue: false, IsNullable: false } parameter && !parameter.ParameterType.IsValueType)
            {
                property.IsRequired = true;
            }
        }
    }

    /// <summary>The strict contract of <typeparamref name="T"/> for reading request bodies.</summary>
    public static JsonTypeInfo<T> RequestType<T>(JsonTypeInfo<T> type) => (JsonTypeInfo<T>)Strict.GetTypeInfo(type.Type);

    /// <summary>A site's entity tag: its store revision, which every read and write carries.</summary>
    public static string ETag(long revision) => new EntityTagHeaderValue($"\"{revision}\"").ToString();

    /// <summary>True when the request's If-None-Match holds the site's current entity tag (or *): the answer is then 304.</summary>
    public static bool NotModified(HttpContext context, long revision) => NotModified(context, $"\"{revision}\"");

    /// <summary>True when the request's If-None-Match holds <paramref name="tag"/> (a quoted entity tag) or *.</summary>
    public static bool NotModified(HttpContext context, string tag)
    {
        var header = context.Request.Headers.IfNoneMatch;
        if (header.Count == 0 || !EntityTagHeaderValue.TryParseList(header, out var tags))
        {
            return false;
        }

        var current = new EntityTagHeaderValue(tag);
        return tags.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Compare(current, useStrongComparison: false));
    }

    /// <summary>
    /// The entity tag of an answer that the site's revision alone does not determine (stored manifests, a compliance report at
    /// the server's time): the revision and the first 16 hex digits of the answer's SHA-256.
    /// </summary>
    public static string DigestTag(long revision, ReadOnlySpan<byte> answer) =>
        $"\"{revision}.{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(answer))[..16]}\"";

    /// <summary>
    /// Opens site <paramref name="site"/> for reading and answers with <paramref name="view"/> of its state, the site's ETag set;
    /// 304 without reading the state when the client's If-None-Match is current; 404 for a site the fleet does not have.
    /// </summary>
    public static async Task<IResult> ViewAsync(Fleet fleet, string site, HttpContext context, Func<SiteState, IResult> view, CancellationToken ct) =>
        await WithSessionAsync(fleet, site, context, async session =>
        {
            // The ETag is the revision the answer was read at, which may be newer than the one checked for If-None-Match.
            var state = await session.Engine.ReadAsync(ct).ConfigureAwait(false);
            context.Response.Headers.ETag = ETag(state.Revision);
            return view(state);
        }, ct).ConfigureAwait(false);

    /// <summary>
    /// As <see cref="ViewAsync"/>, for views that read through the session themselves (allocations, audit, policy context). A
    /// view that knows the revision it read sets the ETag; otherwise it is the revision read before the view, never newer than
    /// the answer (a write made between them costs the client a 412, never a lost update).
    /// </summary>
    public static async Task<IResult> WithSessionAsync(Fleet fleet, string site, HttpContext context, Func<EngineSession, Task<IResult>> view, CancellationToken ct)
    {
        if (!await fleet.ExistsAsync(site, ct).ConfigureAwait(false))
        {
            return Problems.SiteNotFound(site);
        }

        await using var session = fleet.Open(site, write: false);
        var revision = await session.Engine.ReadRevisionAsync(ct).ConfigureAwait(false);
        if (NotModified(context, revision))
        {
            context.Response.Headers.ETag = ETag(revision);
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        var answer = await view(session).ConfigureAwait(false);
        if (!context.Response.Headers.ContainsKey(HeaderNames.ETag))
        {
            context.Response.Headers.ETag = ETag(revision);
        }

        return answer;
    }

    /// <summary>
    /// The response header naming the codes of the findings the CLI prints on standard error beside a document that has no
    /// room for them (a matrix, a diff, the views of a site stored before today's rules), most severe first.
    /// </summary>
    public const string FindingsHeader = "Trellis-Findings";

    /// <summary><paramref name="answer"/> with the codes of <paramref name="findings"/> in <see cref="FindingsHeader"/>, when there are any.</summary>
    public static IResult WithFindings(IResult answer, IReadOnlyList<Finding> findings) => findings.Count == 0 ? answer : new FindingsResult(answer, findings);

    private sealed class FindingsResult(IResult answer, IReadOnlyList<Finding> findings) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers[FindingsHeader] = string.Join(", ",
                findings.OrderByDescending(f => f.Severity).Select(f => f.Code).Distinct(StringComparer.Ordinal));
            return answer.ExecuteAsync(httpContext);
        }
    }

    /// <summary>A JSON answer in the CLI's shape.</summary>
    public static IResult Json<T>(T value, JsonTypeInfo<T> type) => TypedResults.Json(value, type);

    /// <summary>
    /// The request body as <typeparamref name="T"/>, or the problem that refuses it: 415 when it is not JSON, 413 when it is
    /// larger than the server accepts, 400 with a finding naming the JSON path when it is not a valid <typeparamref name="T"/>.
    /// </summary>
    public static async Task<(T? Value, IResult? Problem)> ReadJsonAsync<T>(HttpRequest request, JsonTypeInfo<T> type, CancellationToken ct)
        where T : class
    {
        if (!IsJson(request.ContentType))
        {
            return (null, NotJson(request.ContentType));
        }

        var (body, problem) = await ReadBodyAsync(request, ct).ConfigureAwait(false);
        return body is null ? (null, problem) : ReadJson(body, request.ContentType, type);
    }

    /// <summary>
    /// <paramref name="body"/>, a request's body of type <paramref name="contentType"/>, as <typeparamref name="T"/>: as
    /// <see cref="ReadJsonAsync"/> reads a request, for a body read before (a plan's, kept to be read again by another replica).
    /// </summary>
    public static (T? Value, IResult? Problem) ReadJson<T>(ReadOnlySpan<byte> body, string? contentType, JsonTypeInfo<T> type)
        where T : class
    {
        if (!IsJson(contentType))
        {
            return (null, NotJson(contentType));
        }

        try
        {
            var value = JsonSerializer.Deserialize(body.StartsWith(Utf8Bom) ? body[Utf8Bom.Length..] : body, RequestType(type));
            return value is null
                ? (null, BadJson([Finding.Error("InvalidJson", "$", "The body is null; a JSON object is expected.", Fields(type))]))
                : (value, null);
        }
        catch (JsonException e)
        {
            return (null, BadJson([JsonFinding(e, type)]));
        }
    }

    /// <summary>The request body, whole, or 413 when it is larger than the server accepts.</summary>
    public static async Task<(byte[]? Body, IResult? Problem)> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        try
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer, ct).ConfigureAwait(false);
            return (buffer.ToArray(), null);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge());
        }
    }

    /// <summary>A body as text (a site spec in YAML or JSON): UTF-8, or what its byte order mark says.</summary>
    public static string ReadText(byte[] body)
    {
        using var reader = new StreamReader(new MemoryStream(body, writable: false), System.Text.Encoding.UTF8);
        return reader.ReadToEnd();
    }

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    /// <summary>Whether <paramref name="contentType"/> is JSON: application/json, or a type ending in +json.</summary>
    private static bool IsJson(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var type)
        && (type.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) || type.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase));

    private static IResult NotJson(string? contentType) => Problems.Of(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type",
        $"The body must be JSON (Content-Type: application/json), not '{contentType ?? "nothing"}'; nothing was stored.");

    public static IResult TooLarge() => Problems.Of(StatusCodes.Status413PayloadTooLarge, "Request too large",
        "The request body is larger than the server accepts; nothing was stored.");

    public static IResult BadJson(IReadOnlyList<Finding> findings) => Problems.Of(StatusCodes.Status400BadRequest, "Bad request",
        string.Join(" ", findings.Select(f => $"{f.Code} at {f.Path}: {f.Message}")) + " Nothing was stored.", findings);

    /// <summary>A bad query or route value (a component or a number out of range): 400 with the finding.</summary>
    public static IResult BadValue(string path, string message, string hint) =>
        BadJson([Finding.Error("InvalidValue", path, message, hint)]);

    /// <summary>
    /// The finding for a body the serializer refused, in the server's words (never the serializer's, which name .NET types):
    /// UnknownField, RequiredFieldMissing or InvalidJson, at the JSON path, with the fields the request takes as the hint.
    /// </summary>
    internal static Finding JsonFinding(JsonException e, JsonTypeInfo type)
    {
        var path = string.IsNullOrEmpty(e.Path) ? "$" : e.Path;
        var message = e.Message;
        if (message.Contains("could not be mapped to any .NET member", StringComparison.Ordinal) && Quoted(message) is { } field)
        {
            return Finding.Error("UnknownField", Member(path, field), $"Field '{field}' is not part of this request.", Fields(type));
        }

        if (message.IndexOf("missing required properties", StringComparison.Ordinal) is >= 0 and var at && Quoted(message[at..]) is { } missing)
        {
            return Finding.Error("RequiredFieldMissing", Member(path, missing), $"The request needs '{missing}'.", Fields(type));
        }

        if (message.Contains("null", StringComparison.OrdinalIgnoreCase) && message.Contains("nullable", StringComparison.OrdinalIgnoreCase))
        {
            return Finding.Error("InvalidJson", path, $"{path} is null, and this field needs a value.", Fields(type));
        }

        return message.Contains("could not be converted", StringComparison.Ordinal)
            ? Finding.Error("InvalidJson", path, $"The value at {path} is not of the type this field takes (a string, a whole number, true or false, a list or an object).", Fields(type))
            : Finding.Error("InvalidJson", path, $"The body is not well-formed JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}).", "Send one JSON object. " + Fields(type));

        static string Member(string path, string field) => path == "$" ? $"$.{field}" : path.EndsWith("." + field, StringComparison.Ordinal) ? path : $"{path}.{field}";
    }

    /// <summary>The first 'quoted' word of a serializer message: the member it names.</summary>
    private static string? Quoted(string message)
    {
        var start = message.IndexOf('\'', StringComparison.Ordinal);
        var end = start < 0 ? -1 : message.IndexOf('\'', start + 1);
        return end > start + 1 ? message[(start + 1)..end] : null;
    }

    /// <summary>"Fields: cluster, nodePool, count." — what the request takes, from its JSON contract.</summary>
    internal static string Fields(JsonTypeInfo type) => type.Kind == JsonTypeInfoKind.Object
        ? $"The request's fields: {string.Join(", ", type.Properties.Select(p => p.Name).Where(n => n != "commandName"))}."
        : "See /openapi/v1.json for the request's shape.";
}
