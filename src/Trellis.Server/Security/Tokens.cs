using System.Text.Json.Serialization;

namespace Trellis.Server.Security;

/// <summary>A role on one site.</summary>
public sealed record SiteGrant(string Site, AccessRole Role);

/// <summary>
/// A token as stored and listed: never its secret. <see cref="Admin"/> is the fleet-wide role; otherwise <see cref="Grants"/>
/// says what it may do on which sites.
/// </summary>
public sealed record TokenInfo(
    string Id,
    string Name,
    bool Admin,
    IReadOnlyList<SiteGrant> Grants,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? RevokedAt,
    string? CreatedBy,
    TokenStatus Status)
{
    /// <summary>The principal's name in the audit log and the server's log: <c>token:&lt;name&gt;</c>.</summary>
    [JsonIgnore]
    public string Actor => $"token:{Name}";

    /// <summary>Whether this token may do what <paramref name="access"/> requires on <paramref name="site"/> (null: not site-scoped).</summary>
    public bool Allows(RequiredAccess access, string? site) => Admin || access.Role != AccessRole.Admin && (
        !access.SiteScoped || site is not null && Grants.Any(g => g.Site == site && g.Role >= access.Role));

    /// <summary>Whether this token may read <paramref name="site"/>: what fleet-wide lists show it.</summary>
    public bool CanRead(string site) => Admin || Grants.Any(g => g.Site == site);

    /// <summary>Its roles in a word or a few: <c>Admin</c>, <c>worked=Operator,lab=Reader</c>.</summary>
    [JsonIgnore]
    public string Roles => Admin ? nameof(AccessRole.Admin) : string.Join(",", Grants.Select(g => $"{g.Site}={g.Role}"));

    /// <summary>A stored token's status at <paramref name="now"/>.</summary>
    public static TokenStatus StatusAt(DateTimeOffset? revokedAt, DateTimeOffset? expiresAt, DateTimeOffset now) =>
        revokedAt is not null ? TokenStatus.Revoked : expiresAt is { } at && at <= now ? TokenStatus.Expired : TokenStatus.Active;
}

/// <summary>A token just made: its secret, shown this once, and what it is.</summary>
public sealed record CreatedToken(string Token, TokenInfo Info);

/// <summary>What POST /api/v1/tokens takes (and <c>trellis serve token create</c>): a name, roles and a lifetime.</summary>
public sealed record TokenRequest(string Name, bool? Admin = null, IReadOnlyList<SiteGrant>? Grants = null, string? Expires = null);

/// <summary>Whether a token signs in now: revoked and expired tokens never do again.</summary>
public enum TokenStatus
{
    Active,
    Expired,
    Revoked,
}
