using Microsoft.Data.Sqlite;
using Trellis.Engine.Contracts;

namespace Trellis.Server.Security;

/// <summary>
/// The server's tokens, in <c>&lt;data&gt;/server.db</c> (SQLite), beside a folder store: id, name, SHA-256 of the token, roles,
/// times. A small store of the server's own, not the Engine's: tokens are no part of a site (docs/decisions.md). The command
/// line writes it while the server runs; every request reads it, so a revocation holds from the next request on.
/// </summary>
public sealed class SqliteTokenStore : ITokenStore
{
    private readonly string _connectionString;
    private readonly TimeProvider _time;

    public SqliteTokenStore(string dataDirectory, TimeProvider time)
    {
        _time = time;
        Directory.CreateDirectory(dataDirectory);
        Path = System.IO.Path.Combine(dataDirectory, "server.db");
        _connectionString = new SqliteConnectionStringBuilder { DataSource = Path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = true, DefaultTimeout = 10 }.ToString();
        var created = !File.Exists(Path);
        using var connection = Open();
        Execute(connection, """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS tokens (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                hash BLOB NOT NULL,
                admin INTEGER NOT NULL,
                created_at INTEGER NOT NULL,
                expires_at INTEGER,
                revoked_at INTEGER,
                created_by TEXT);
            CREATE UNIQUE INDEX IF NOT EXISTS tokens_active_name ON tokens (name) WHERE revoked_at IS NULL;
            CREATE TABLE IF NOT EXISTS token_grants (
                token_id TEXT NOT NULL REFERENCES tokens (id),
                site TEXT NOT NULL,
                role INTEGER NOT NULL,
                PRIMARY KEY (token_id, site));
            """);
        if (created && !OperatingSystem.IsWindows())
        {
            // Only hashes are stored, but who holds which role on which site is the operator's business alone.
            File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    public string Path { get; }

    public string Describe => Path;

    public Task<(CreatedToken? Created, Finding? Refused)> CreateAsync(TokenRequest request, DateTimeOffset? expiresAt, string? createdBy, CancellationToken cancellationToken) =>
        Task.FromResult(Create(request, expiresAt, createdBy));

    public Task<IReadOnlyList<TokenInfo>> ListAsync(CancellationToken cancellationToken) => Task.FromResult(List());

    public Task<TokenInfo?> RevokeAsync(string id, CancellationToken cancellationToken) => Task.FromResult(Revoke(id));

    public Task<(TokenInfo? Token, string? Refusal)> AuthenticateAsync(string presented, CancellationToken cancellationToken) =>
        Task.FromResult(Authenticate(presented));

    private (CreatedToken? Created, Finding? Refused) Create(TokenRequest request, DateTimeOffset? expiresAt, string? createdBy)
    {
        var (id, token) = ApiToken.Create();
        var now = _time.GetUtcNow();
        var grants = request.Admin == true ? [] : request.Grants ?? [];
        using var connection = Open();
        using var transaction = connection.BeginTransaction();
        try
        {
            Execute(connection, "INSERT INTO tokens (id, name, hash, admin, created_at, expires_at, created_by) VALUES ($id, $name, $hash, $admin, $created, $expires, $by)",
                ("$id", id), ("$name", request.Name), ("$hash", ApiToken.Hash(token)), ("$admin", request.Admin == true ? 1 : 0),
                ("$created", now.ToUnixTimeSeconds()), ("$expires", expiresAt?.ToUnixTimeSeconds()), ("$by", createdBy));
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19)
        {
            return (null, TokenRules.NameTakenFinding(request.Name));
        }

        foreach (var grant in grants)
        {
            Execute(connection, "INSERT INTO token_grants (token_id, site, role) VALUES ($id, $site, $role)",
                ("$id", id), ("$site", grant.Site), ("$role", (int)grant.Role));
        }

        transaction.Commit();
        var info = new TokenInfo(id, request.Name, request.Admin == true, grants, FromSeconds(now.ToUnixTimeSeconds()), expiresAt is { } e2 ? FromSeconds(e2.ToUnixTimeSeconds()) : null,
            null, createdBy, TokenStatus.Active);
        return (new CreatedToken(token, info), null);
    }

    private IReadOnlyList<TokenInfo> List()
    {
        using var connection = Open();
        return Read(connection, null);
    }

    private TokenInfo? Revoke(string id)
    {
        using var connection = Open();
        Execute(connection, "UPDATE tokens SET revoked_at = $now WHERE id = $id AND revoked_at IS NULL",
            ("$now", _time.GetUtcNow().ToUnixTimeSeconds()), ("$id", id));
        return Read(connection, id).SingleOrDefault();
    }

    private (TokenInfo? Token, string? Refusal) Authenticate(string presented)
    {
        var id = ApiToken.IdOf(presented);
        if (id is null)
        {
            return (null, "not a Trellis token");
        }

        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT hash FROM tokens WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        var hash = command.ExecuteScalar() as byte[];
        return ITokenStore.Judge(presented, id, hash, hash is null ? null : Read(connection, id).Single());
    }

    private List<TokenInfo> Read(SqliteConnection connection, string? id)
    {
        var grants = new Dictionary<string, List<SiteGrant>>(StringComparer.Ordinal);
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT token_id, site, role FROM token_grants" + (id is null ? "" : " WHERE token_id = $id") + " ORDER BY token_id, site";
            if (id is not null)
            {
                command.Parameters.AddWithValue("$id", id);
            }

            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var list = grants.TryGetValue(reader.GetString(0), out var l) ? l : grants[reader.GetString(0)] = [];
                list.Add(new SiteGrant(reader.GetString(1), (AccessRole)reader.GetInt32(2)));
            }
        }

        var now = _time.GetUtcNow();
        var tokens = new List<TokenInfo>();
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT id, name, admin, created_at, expires_at, revoked_at, created_by FROM tokens" +
                (id is null ? "" : " WHERE id = $id") + " ORDER BY created_at, rowid";
            if (id is not null)
            {
                command.Parameters.AddWithValue("$id", id);
            }

            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                DateTimeOffset? expires = reader.IsDBNull(4) ? null : FromSeconds(reader.GetInt64(4));
                DateTimeOffset? revoked = reader.IsDBNull(5) ? null : FromSeconds(reader.GetInt64(5));
                var status = TokenInfo.StatusAt(revoked, expires, now);
                tokens.Add(new TokenInfo(reader.GetString(0), reader.GetString(1), reader.GetInt64(2) != 0,
                    grants.TryGetValue(reader.GetString(0), out var g) ? g : [], FromSeconds(reader.GetInt64(3)), expires, revoked,
                    reader.IsDBNull(6) ? null : reader.GetString(6), status));
            }
        }

        return tokens;
    }

    private static DateTimeOffset FromSeconds(long seconds) => DateTimeOffset.FromUnixTimeSeconds(seconds);

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        command.ExecuteNonQuery();
    }
}
