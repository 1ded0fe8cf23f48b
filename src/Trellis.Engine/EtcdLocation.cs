namespace Trellis.Engine;

/// <summary>
/// A keyspace on an etcd cluster: the members' client addresses, the root prefix every Trellis key is under, the site (for
/// a front end that works on one site; a server names sites itself), and how to connect (TLS, client certificate, user).
/// <see cref="ToString"/> never shows the password.
/// </summary>
public sealed record EtcdLocation : StoreLocation
{
    public const int DefaultPort = 2379;
    public const string DefaultRoot = "/trellis/";

    private static readonly string[] Options = ["cacert", "cert", "key", "user", "passwordFile", "prefix"];

    internal EtcdLocation(IReadOnlyList<string> members, bool tls)
    {
        Members = members;
        UseTls = tls;
    }

    /// <summary>The members' client addresses, <c>host:port</c> each.</summary>
    public IReadOnlyList<string> Members { get; }

    public bool UseTls { get; }

    /// <summary>The prefix of every key Trellis keeps on this cluster; ends in '/'.</summary>
    public string Root { get; init; } = DefaultRoot;

    /// <summary>The site of a front end that works on one site; null when not named.</summary>
    public string? Site { get; init; }

    public string? CaCertificateFile { get; init; }

    public string? ClientCertificateFile { get; init; }

    public string? ClientKeyFile { get; init; }

    public string? Username { get; init; }

    /// <summary>The user's password (from <see cref="StoreLocation.PasswordVariable"/> or passwordFile=); never part of <see cref="ToString"/>.</summary>
    internal string? Password { get; init; }

    /// <summary>The store options of keyspace <paramref name="keyPrefix"/> on this cluster, with its TLS and user.</summary>
    internal Storage.Etcd.EtcdStoreOptions StoreOptions(string keyPrefix) => new()
    {
        Endpoints = Endpoints,
        KeyPrefix = keyPrefix,
        Security = new Storage.Etcd.EtcdSecurity
        {
            UseTls = UseTls,
            CaCertificateFile = CaCertificateFile,
            ClientCertificateFile = ClientCertificateFile,
            ClientKeyFile = ClientKeyFile,
            Username = Username,
            Password = Password,
        },
    };

    /// <summary>
    /// A client of this cluster that connects as a store on it does (TLS roots, client certificate, user): for a front end
    /// that keeps keys of its own beside the sites (the server's site list and replica leases). The caller disposes it.
    /// </summary>
    /// <exception cref="Storage.StoreException">A certificate or key file cannot be read.</exception>
    public dotnet_etcd.EtcdClient Connect() => Storage.Etcd.EtcdClients.Create(StoreOptions(Root));

    /// <summary>The members' client URLs, comma-separated, as the etcd client takes them.</summary>
    public string Endpoints => string.Join(",", Members.Select(m => (UseTls ? "https://" : "http://") + m));

    /// <summary>The keyspace of site <paramref name="site"/>.</summary>
    public string SitePrefix(string site) => IsValidSiteName(site) ? $"{Root}sites/{site}/" : throw new ArgumentException($"'{site}' is not a site name: {SiteNameRule}.", nameof(site));

    /// <summary>The keyspace of a server's fleet-wide state (its governance).</summary>
    public string FleetPrefix => Root + "fleet/";

    /// <summary>The same cluster and options with site <paramref name="site"/>.</summary>
    public EtcdLocation WithSite(string site) => IsValidSiteName(site) ? this with { Site = site } : throw new ArgumentException($"'{site}' is not a site name: {SiteNameRule}.", nameof(site));

    /// <summary>The location as written, without the password (it is never part of it).</summary>
    public override string ToString()
    {
        var query = new List<string>();
        Add("cacert", CaCertificateFile);
        Add("cert", ClientCertificateFile);
        Add("key", ClientKeyFile);
        Add("user", Username);
        if (Root != DefaultRoot)
        {
            Add("prefix", Root);
        }

        return $"{(UseTls ? "etcds" : "etcd")}://{string.Join(",", Members)}{(Site is null ? "" : "/" + Site)}{(query.Count == 0 ? "" : "?" + string.Join("&", query))}";

        void Add(string name, string? value)
        {
            if (value is not null)
            {
                query.Add($"{name}={Uri.EscapeDataString(value)}");
            }
        }
    }

    internal static EtcdLocation Read(string rest, bool tls, string source, Func<string, string?> environment)
    {
        var scheme = tls ? "etcds://" : "etcd://";
        var queryAt = rest.IndexOf('?', StringComparison.Ordinal);
        var query = queryAt < 0 ? "" : rest[(queryAt + 1)..];
        var hostAndPath = queryAt < 0 ? rest : rest[..queryAt];
        var slash = hostAndPath.IndexOf('/', StringComparison.Ordinal);
        var authority = slash < 0 ? hostAndPath : hostAndPath[..slash];
        var path = slash < 0 ? "" : hostAndPath[(slash + 1)..].TrimEnd('/');
        if (authority.Contains('@', StringComparison.Ordinal))
        {
            throw new StoreLocationException($"{source}: a user or password in the address is not accepted (it would show in logs and shell history). "
                + $"Write ?user=NAME and give the password in {PasswordVariable} or in a file named by &passwordFile=PATH.");
        }

        var members = authority.Split(',').Select(m => Member(m, source, scheme)).ToList();
        string? site = null;
        if (path.Length > 0)
        {
            site = IsValidSiteName(path) ? path : throw new StoreLocationException($"{source}: '{path}' after the members is not a site name: {SiteNameRule} ({scheme}HOST:PORT/SITE).");
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? pair : pair[..equals];
            var value = equals < 0 ? "" : Uri.UnescapeDataString(pair[(equals + 1)..]);
            if (!Options.Contains(name, StringComparer.Ordinal))
            {
                throw new StoreLocationException($"{source}: '{name}' is not an etcd option; the options are {string.Join(", ", Options)}.");
            }

            if (value.Length == 0 || !values.TryAdd(name, value))
            {
                throw new StoreLocationException($"{source}: the option '{name}' needs one value, given once ({name}=…).");
            }
        }

        var root = values.GetValueOrDefault("prefix") ?? DefaultRoot;
        if (!root.StartsWith('/') || !root.EndsWith('/') || root.Any(char.IsControl))
        {
            throw new StoreLocationException($"{source}: the prefix '{root}' must start and end with '/' (prefix=/trellis/).");
        }

        if (!tls && (values.ContainsKey("cacert") || values.ContainsKey("cert") || values.ContainsKey("key")))
        {
            throw new StoreLocationException($"{source}: cacert, cert and key are TLS options; write etcds:// to speak TLS to the members.");
        }

        if (values.ContainsKey("cert") != values.ContainsKey("key"))
        {
            throw new StoreLocationException($"{source}: a client certificate needs both cert=PATH (the certificate) and key=PATH (its private key), as PEM files.");
        }

        var user = values.GetValueOrDefault("user");
        string? password = null;
        if (values.TryGetValue("passwordFile", out var passwordFile))
        {
            password = user is null
                ? throw new StoreLocationException($"{source}: passwordFile is the password of an etcd user; name the user with user=NAME.")
                : ReadPassword(passwordFile, source);
        }
        else if (user is not null)
        {
            password = environment(PasswordVariable) is { Length: > 0 } given
                ? given
                : throw new StoreLocationException($"{source}: the etcd user '{user}' needs a password: set {PasswordVariable}, or name a file that holds it with &passwordFile=PATH.");
        }

        return new EtcdLocation(members, tls)
        {
            Root = root,
            Site = site,
            CaCertificateFile = values.GetValueOrDefault("cacert"),
            ClientCertificateFile = values.GetValueOrDefault("cert"),
            ClientKeyFile = values.GetValueOrDefault("key"),
            Username = user,
            Password = password,
        };
    }

    private static string Member(string text, string source, string scheme)
    {
        var (host, port) = text.StartsWith('[')
            ? text.IndexOf(']', StringComparison.Ordinal) is var close and > 0
                ? (text[..(close + 1)], text[(close + 1)..])
                : (text, "")
            : text.LastIndexOf(':') is var colon and >= 0 ? (text[..colon], text[colon..]) : (text, "");
        var number = DefaultPort;
        var validHost = host.Length > 0 && Uri.CheckHostName(host.Trim('[', ']')) != UriHostNameType.Unknown;
        var validPort = port.Length == 0 || (port.StartsWith(':') && int.TryParse(port[1..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out number) && number is > 0 and < 65536);
        return validHost && validPort
            ? Invariant($"{host}:{number}")
            : throw new StoreLocationException($"{source}: '{text}' is not a member's address; write HOST:PORT, members separated by commas ({scheme}10.0.0.1:2379,10.0.0.2:2379/SITE).");
    }

    private static string ReadPassword(string path, string source)
    {
        try
        {
            var text = File.ReadAllText(path).TrimEnd('\r', '\n');
            return text.Length > 0 ? text : throw new StoreLocationException($"{source}: the password file '{path}' is empty.");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StoreLocationException($"{source}: the password file '{path}' cannot be read: {e.Message}");
        }
    }
}
