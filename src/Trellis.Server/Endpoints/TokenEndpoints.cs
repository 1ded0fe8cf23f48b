using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Trellis.Server.Security;

namespace Trellis.Server.Endpoints;

/// <summary>/api/v1/tokens: the fleet's API tokens, for Admins; and the caller's own token, for anyone signed in.</summary>
internal static class TokenEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/tokens", Create).Requires(AccessRole.Admin).WithName("CreateToken");
        api.MapGet("/tokens", async (ITokenStore store, CancellationToken cancellationToken) =>
                TypedResults.Json(await store.ListAsync(cancellationToken).ConfigureAwait(false), AccessJson.Default.IReadOnlyListTokenInfo))
            .Requires(AccessRole.Admin).WithName("ListTokens");
        api.MapDelete("/tokens/{id}", Revoke).Requires(AccessRole.Admin).WithName("RevokeToken");
        api.MapGet("/token", (HttpContext context) => TypedResults.Json(context.Token()!, AccessJson.Default.TokenInfo))
            .RequiresToken().WithName("GetOwnToken");
    }

    /// <summary>Makes a token and answers its secret, this once (Cache-Control: no-store, as every API response).</summary>
    private static async Task<IResult> Create(TokenRequest request, ITokenStore store, ServerOptions options, HttpContext context)
    {
        var (findings, expiresAt) = TokenRules.Check(request, options.Time.GetUtcNow());
        if (findings.Count > 0)
        {
            return Problems.Refused(findings);
        }

        var (created, refused) = await store.CreateAsync(request, expiresAt, context.User.Identity?.Name, context.RequestAborted).ConfigureAwait(false);
        return created is null
            ? Problems.Of(StatusCodes.Status409Conflict, "Name taken", refused!.Message, [refused])
            : TypedResults.Json(created, AccessJson.Default.CreatedToken, statusCode: StatusCodes.Status201Created);
    }

    /// <summary>Revokes a token by id and answers which it was; it signs in no more from the next request on.</summary>
    private static async Task<IResult> Revoke(string id, ITokenStore store, CancellationToken cancellationToken)
    {
        var revoked = await store.RevokeAsync(id, cancellationToken).ConfigureAwait(false);
        return revoked is null
            ? Problems.Of(StatusCodes.Status404NotFound, "No such token", TokenRules.NotFoundFinding(id).Message, [TokenRules.NotFoundFinding(id)])
            : TypedResults.Json(revoked, AccessJson.Default.TokenInfo);
    }
}
