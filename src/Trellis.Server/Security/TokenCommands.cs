using System.CommandLine;
using System.Globalization;
using Trellis.Engine;
using Trellis.Engine.Contracts;
using Trellis.Server.Stores;

namespace Trellis.Server.Security;

/// <summary>
/// <c>trellis serve token create|list|revoke</c>: the fleet's tokens, written straight into its store (server.db in the data
/// folder, or the etcd cluster of <c>--store</c>, as <c>trellis serve</c> chooses), so that the first Admin token needs
/// neither a running server nor another token (and the commands work while the servers run).
/// </summary>
internal static class TokenCommands
{
    public static Command Command(Option<string> data, Option<string?> store)
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
        create.SetAction((p, ct) => WithStoreAsync(p, "create", data, store,
            tokens => Create(p, tokens, p.GetValue(name)!, p.GetValue(role)!, p.GetValue(site) ?? [], p.GetValue(expires), ct)));

        var list = new Command("list", "List the tokens: id, name, roles, status, expiry (never a secret)");
        list.SetAction((p, ct) => WithStoreAsync(p, "list", data, store, tokens => List(p, tokens, ct)));

        var which = new Argument<string>("token") { Description = "The id or the name of the token to revoke" };
        var revoke = new Command("revoke", "Revoke a token: it signs in no more, from the next request on") { which };
        revoke.SetAction((p, ct) => WithStoreAsync(p, "revoke", data, store, tokens => Revoke(p, tokens, p.GetValue(which)!, ct)));

        return new Command("token", "The fleet's API tokens, in its store: <data>/server.db, or the etcd cluster of --store") { create, list, revoke };
    }

    /// <summary>
    /// Runs <paramref name="action"/> on the tokens of the store <c>--store</c> (else TRELLIS_STORE) names, else of the data
    /// folder: exit 2 for a store setting a server would refuse, 3 when the store fails.
    /// </summary>
    private static async Task<int> WithStoreAsync(ParseResult p, string command, Option<string> data, Option<string?> store, Func<ITokenStore, Task<int>> action)
    {
        var error = p.InvocationConfiguration.Error;
        StoreLocation? location;
        try
        {
            location = ServerStore.Read(p.GetValue(store), Environment.GetEnvironmentVariable);
        }
        catch (StoreLocationException e)
        {
            await error.WriteLineAsync($"trellis serve token {command}: {e.Message}").ConfigureAwait(false);
            return 2;
        }

        try
        {
            using var etcd = location is EtcdLocation onEtcd ? new EtcdConnection(onEtcd) : null;
            var folder = location is SqliteLocation sqlite ? sqlite.Path : p.GetValue(data)!;
            return await action(ITokenStore.For(folder, etcd, TimeProvider.System)).ConfigureAwait(false);
        }
        catch (FleetStoreException e)
        {
            await error.WriteLineAsync($"trellis serve token {command}: {e.Message} Nothing was changed.").ConfigureAwait(false);
            return 3;
        }
    }

    private static async Task<int> Create(ParseResult p, ITokenStore store, string name, string[] roles, string[] sites, string? expires, CancellationToken cancellationToken)
    {
        var error = p.InvocationConfiguration.Error;
        if (!TryGrants(roles, sites, out var admin, out var grants, out var usage))
        {
            error.WriteLine($"trellis serve token create: {usage}");
            return 2;
        }

        var request = new TokenRequest(name, admin ? true : null, grants, expires);
        var (findings, expiresAt) = TokenRules.Check(request, TimeProvider.System.GetUtcNow());
        var (created, refused) = findings.Count == 0 ? await store.CreateAsync(request, expiresAt, "command line", cancellationToken).ConfigureAwait(false) : (null, null);
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
        error.WriteLine($"Token '{info.Name}' (id {info.Id}, {info.Roles}, expires {Expiry(info)}) in {store.Describe}. " +
            "It is shown this once and stored only as a hash: keep it now, e.g. in a password manager.");
        return 0;
    }

    private static async Task<int> List(ParseResult p, ITokenStore store, CancellationToken cancellationToken)
    {
        var output = p.InvocationConfiguration.Output;
        var tokens = await store.ListAsync(cancellationToken).ConfigureAwait(false);
        output.WriteLine($"{"ID",-12}  {"NAME",-24}  {"STATUS",-7}  {"EXPIRES",-20}  {"CREATED BY",-16}  ROLES");
        foreach (var t in tokens)
        {
            output.WriteLine($"{t.Id,-12}  {t.Name,-24}  {t.Status.ToString().ToLowerInvariant(),-7}  {Expiry(t),-20}  {t.CreatedBy ?? "",-16}  {t.Roles}");
        }

        return 0;
    }

    private static async Task<int> Revoke(ParseResult p, ITokenStore store, string which, CancellationToken cancellationToken)
    {
        if (await store.FindAsync(which, cancellationToken).ConfigureAwait(false) is not { } token)
        {
            p.InvocationConfiguration.Error.WriteLine(TokenRules.NotFoundFinding(which).ToString());
            return 1;
        }

        var was = token.RevokedAt;
        var revoked = (await store.RevokeAsync(token.Id, cancellationToken).ConfigureAwait(false))!;
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
