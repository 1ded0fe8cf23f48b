using Microsoft.AspNetCore.Http;
using Trellis.Engine;
using Trellis.Engine.Contracts;

namespace Trellis.Server;

/// <summary>
/// Every error the server answers, as application/problem+json (<see cref="Problem"/>). Input the Engine refused carries its
/// findings (code, path, message, hint) unchanged; nothing about the server's own code (types, stack traces) ever does.
/// </summary>
public static class Problems
{
    public const string ContentType = "application/problem+json";

    public static IResult Of(int status, string title, string detail, IReadOnlyList<Finding>? findings = null, long? revision = null) =>
        Results.Json(new Problem(TypeOf(status), title, status, detail, findings is { Count: > 0 } ? findings : null, revision),
            ServerJson.Default.Problem, ContentType, status);

    /// <summary>The Engine refused the request (422): every finding, with the revision it was judged on.</summary>
    public static IResult Refused(IReadOnlyList<Finding> findings, long? revision = null) =>
        Of(StatusCodes.Status422UnprocessableEntity, "The request was refused",
            string.Join(" ", findings.Where(f => f.Severity == Severity.Error).Take(3).Select(f => $"{f.Code}: {f.Message}")), findings, revision);

    public static IResult SiteNotFound(string site) => Of(StatusCodes.Status404NotFound, "No such site",
        Fleet.IsValidName(site)
            ? $"There is no site '{site}' in this fleet. GET /api/v1/sites lists them."
            : $"'{site}' is not a site name: {Fleet.NameRule}.");

    /// <summary>An exception from the Engine as a problem: store failures 503, exhausted conflict retries 409, anything else 500 with no detail of the code.</summary>
    public static Problem ForException(Exception e) => (e is Stores.FleetStoreException ? FailureKind.Store : EngineFailures.Classify(e)) switch
    {
        FailureKind.Store => new Problem(TypeOf(503), "The state store failed", 503, $"{e.Message} Nothing was written."),
        FailureKind.Conflict => new Problem(TypeOf(409), "Conflict", 409, $"{e.Message} Nothing was written; try again."),
        _ => new Problem(TypeOf(500), "Internal error", 500, "The server failed on this request; nothing was written. Its log has the details; please report it."),
    };

    /// <summary>The problem type: a URN naming the status's kind, stable for clients to switch on.</summary>
    public static string TypeOf(int status) => status switch
    {
        400 => "urn:trellis:problem:bad-request",
        401 => "urn:trellis:problem:unauthenticated",
        403 => "urn:trellis:problem:forbidden",
        404 => "urn:trellis:problem:not-found",
        405 => "urn:trellis:problem:method-not-allowed",
        409 => "urn:trellis:problem:conflict",
        412 => "urn:trellis:problem:precondition-failed",
        413 => "urn:trellis:problem:too-large",
        415 => "urn:trellis:problem:unsupported-media-type",
        422 => "urn:trellis:problem:refused",
        428 => "urn:trellis:problem:precondition-required",
        429 => "urn:trellis:problem:too-many-requests",
        503 => "urn:trellis:problem:unavailable",
        _ => "urn:trellis:problem:internal",
    };
}
