using System.CommandLine;
using System.Globalization;
using Trellis.Engine.Contracts;

namespace Trellis.Server.Security;

/// <summary>
/// <c>trellis serve token create|list|revoke</c>: the fleet's tokens, written straight into server.db, so that the first
/// Admin token needs neither a running server nor another token (and the commands work while the server runs).
/// </summary>
internal static class TokenCommands
{
    public static Command Command(Option<string> data)
    {
        var name = new Option<string>("--name") { Description = "The token's name (audit entries say token:<name>).", Required = true };
        var role = new Option<string[]>("--role")
        {
            Description = "Admin (fleet-wide), or Reader, Operator or NetworkAdmin with --site: one role for every --site, or one per --site in order.",
            Required = true,
        };
        var site = new Option<string[]>("--site") { Description = "A site the token is granted a role on (repeat for several)." };
        var expires = new Option<string?>("--expires") { Description = "Its lifetime: 90d, 12h, 30m, or never. Default: 90d" };
        var create = new Command("create", "Make a token and print it, this once (on standard output; what it is goes to standard error)") { name, role, site, expires };
        create.SetAction(p => Create(p, p.GetValue(data)!, p.GetValue(name)!, p.GetValue(role)!, p.GetValue(site) ?? [], p.GetValue(expires)));

        var list = new Command("list", "List the tokens: id, name, roles, status, expiry (never a secret)");
        list.SetAction(p => List(p, p.GetValue(data)!));

        var which = new Argument<string>("token") { Description = "The id or the name of the token to revoke" };
        var revoke = new Command("revoke", "Revoke a token: it signs in no more, from the next request on") { which };
        revoke.SetAction(p => Revoke(p, p.GetValue(data)!, p.GetValue(which)!));

        return new Command("token", "The fleet's API tokens, in <data>/server.db") { create, list, revoke };
    }

    private static int Create(ParseResult p, string data, string name, string[] roles, string[] sites, string? expires)
    {
        var error = p.InvocationConfiguration.Error;
        if (!TryGrants(roles, sites, out var admin, out var grants, out var usage))
        {
            error.WriteLine($"trellis serve token create: {usage}");
            return 2;
        }

        var store = new TokenStore(data, TimeProvider.System);
        var request = new TokenRequest(name, admin ? true : null, grants, expires);
        var (findings, expiresAt) = TokenRules.Check(request, TimeProvider.System.GetUtcNow());
        var (created, refused) = findings.Count == 0 ? store.Create(request, expiresAt, "command line") : (null, null);
        if (created is null)
        {
            foreach (var finding in refused is null ? findings : [refused])
            {
                error.WriteLine(finding.ToString());
            }

            return 1;
        }

        p.InvocationConfiguration.Output.WriteLine(created.Token);
        var info = created.Info;
        error.WriteLine($"Token '{info.Name}' (id {info.Id}, {info.Roles}, expires {Expiry(info)}) in {store.Path}. " +
            "It is shown this once and stored only as a hash: keep it now, e.g. in a password manager.");
        return 0;
    }

    private static int List(ParseResult p, string data)
    {
        var output = p.InvocationConfiguration.Output;
        var tokens = new TokenStore(data, TimeProvider.System).List();
        output.WriteLine($"{"ID",-12}  {"NAME",-24}  {"STATUS",-7}  {"EXPIRES",-20}  {"CREATED BY",-16}  ROLES");
        foreach (var t in tokens)
        {
            output.WriteLine($"{t.Id,-12}  {t.Name,-24}  {t.Status.ToString().ToLowerInvariant(),-7}  {Expiry(t),-20}  {t.CreatedBy ?? "",-16}  {t.Roles}");
        }

        return 0;
    }

    private static int Revoke(ParseResult p, string data, string which)
    {
        var store = new TokenStore(data, TimeProvider.System);
        if (store.Find(which) is not { } token)
        {
            p.InvocationConfiguration.Error.WriteLine(TokenRules.NotFoundFinding(which).ToString());
            return 1;
        }

        var was = token.RevokedAt;
        var revoked = store.Revoke(token.Id)!;
        p.InvocationConfiguration.Output.WriteLine(was is null
            ? $"Revoked token '{revoked.Name}' (id {revoked.Id}, {revoked.Roles}, created {Time(revoked.CreatedAt)} by {revoked.CreatedBy ?? "?"})."
            : $"Token '{revoked.Name}' (id {revoked.Id}, {revoked.Roles}) was already revoked at {Time(was.Value)}.");
        return 0;
    }

    /// <summary>--role Admin alone; or --site S… with one --role for all, or one --role per --site in order.</summary>
    private static bool TryGrants(string[] roles, string[] sites, out bool admin, out IReadOnlyList<SiteGrant> grants, out string usage)
    {
        admin = false;
        grants = [];
        usage = "";
        var parsed = new List<AccessRole>();
        foreach (var r in roles)
        {
            if (!Enum.TryParse<AccessRole>(r, ignoreCase: true, out var value) || !Enum.IsDefined(value) || int.TryParse(r, out _))
            {
                usage = $"'{r}' is not a role: Admin, Reader, Operator or NetworkAdmin.";
                return false;
            }

            parsed.Add(value);
        }

        if (sites.Length == 0)
        {
            admin = parsed is [AccessRole.Admin];
            usage = admin ? "" : "a role other than Admin is a role on a site: give --site (or --role Admin alone for a fleet-wide token).";
            return admin;
        }

        if (parsed.Count != 1 && parsed.Count != sites.Length)
        {
            usage = $"{parsed.Count} roles for {sites.Length} sites: give one --role for every --site, or one per --site in order.";
            return false;
        }

        grants = [.. sites.Select((s, i) => new SiteGrant(s, parsed[parsed.Count == 1 ? 0 : i]))];
        return true;
    }

    private static string Expiry(TokenInfo token) => token.ExpiresAt is { } at ? Time(at) : "never";

    private static string Time(DateTimeOffset at) => at.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
}
