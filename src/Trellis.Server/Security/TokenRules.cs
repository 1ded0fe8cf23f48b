using System.Globalization;
using System.Text.RegularExpressions;
using Trellis.Engine.Contracts;

namespace Trellis.Server.Security;

/// <summary>What a new token may be, for the REST API and the command line alike: errors as findings, nothing stored.</summary>
public static partial class TokenRules
{
    public const string NameInvalid = "TokenNameInvalid";
    public const string GrantInvalid = "TokenGrantInvalid";
    public const string ExpiryInvalid = "TokenExpiryInvalid";
    public const string NameTaken = "TokenNameTaken";
    public const string NotFound = "TokenNotFound";

    /// <summary>A token's lifetime unless one is given: long enough for automation, short enough that a lost one dies.</summary>
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromDays(90);

    private static readonly TimeSpan LongestLifetime = TimeSpan.FromDays(3650);

    /// <summary>Checks a request; on success the expiry it asks for (null: never), measured from <paramref name="now"/>.</summary>
    public static (IReadOnlyList<Finding> Findings, DateTimeOffset? ExpiresAt) Check(TokenRequest request, DateTimeOffset now)
    {
        var findings = new List<Finding>();
        if (!IsValidName(request.Name))
        {
            findings.Add(Finding.Error(NameInvalid, "name", $"'{request.Name}' is not a token name.",
                "A token name is 1–64 letters, digits, '.', '_', '@' or '-' (e.g. 'ci-deploy' or 'alice@example.com'): it names the token in audit entries as token:<name>."));
        }

        var grants = request.Grants ?? [];
        if (request.Admin == true && grants.Count > 0)
        {
            findings.Add(Finding.Error(GrantInvalid, "grants", "An Admin token is given site grants as well.",
                "Admin is fleet-wide and includes every role on every site: give either admin or grants."));
        }
        else if (request.Admin != true && grants.Count == 0)
        {
            findings.Add(Finding.Error(GrantInvalid, "grants", "The token is given no role.",
                "Give admin (fleet-wide), or grants: a site and a role (Reader, Operator, NetworkAdmin) each."));
        }

        for (var i = 0; i < grants.Count; i++)
        {
            var grant = grants[i];
            if (!Fleet.IsValidName(grant.Site))
            {
                findings.Add(Finding.Error(GrantInvalid, $"grants[{i}].site", $"'{grant.Site}' is not a site name.", $"Name a site: {Fleet.NameRule}."));
            }
            else if (grants.Take(i).Any(g => g.Site == grant.Site))
            {
                findings.Add(Finding.Error(GrantInvalid, $"grants[{i}].site", $"Site '{grant.Site}' is granted twice.",
                    "Give each site one role: a role includes the ones below it (Reader < Operator < NetworkAdmin)."));
            }

            if (grant.Role is not (AccessRole.Reader or AccessRole.Operator or AccessRole.NetworkAdmin))
            {
                findings.Add(Finding.Error(GrantInvalid, $"grants[{i}].role", $"{grant.Role} is not a role on a site.",
                    "A site's roles are Reader, Operator and NetworkAdmin; Admin is fleet-wide (admin: true)."));
            }
        }

        var (lifetime, expiryOk) = ParseLifetime(request.Expires);
        if (!expiryOk)
        {
            findings.Add(Finding.Error(ExpiryInvalid, "expires", $"'{request.Expires}' is not a lifetime.",
                "Give a number of days, hours or minutes up to 3650 days (90d, 12h, 30m), or 'never'; without it a token lives 90 days."));
        }

        return (findings, lifetime is { } l ? now + l : null);
    }

    /// <summary>90d, 12h, 30m or never (null: the default lifetime).</summary>
    public static (TimeSpan? Lifetime, bool Ok) ParseLifetime(string? text)
    {
        if (text is null)
        {
            return (DefaultLifetime, true);
        }

        if (text == "never")
        {
            return (null, true);
        }

        if (text.Length < 2 || !int.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0)
        {
            return (null, false);
        }

        TimeSpan? lifetime = text[^1] switch
        {
            'd' => TimeSpan.FromDays(n),
            'h' => TimeSpan.FromHours(n),
            'm' => TimeSpan.FromMinutes(n),
            _ => null,
        };
        return lifetime is { } l && l <= LongestLifetime ? (l, true) : (null, false);
    }

    public static bool IsValidName(string? name) => name is not null && NamePattern().IsMatch(name);

    [GeneratedRegex("^[A-Za-z0-9._@-]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    public static Finding NameTakenFinding(string name) => Finding.Error(NameTaken, "name", $"A token named '{name}' exists and is not revoked.",
        "Choose another name, or revoke that token first (trellis serve token revoke, DELETE /api/v1/tokens/{id}).");

    public static Finding NotFoundFinding(string which) => Finding.Error(NotFound, "token", $"No token has the id or name '{which}'.",
        "List the tokens (trellis serve token list, GET /api/v1/tokens) and name one by its id or name.");
}
