using System.Text.Json;
using System.Text.Json.Serialization;
using Etcdserverpb;
using Google.Protobuf;
using Trellis.Engine.Contracts;
using Trellis.Server.Stores;

namespace Trellis.Server.Security;

/// <summary>
/// The server's tokens on the etcd cluster of the fleet's store, shared by every replica: each token the key
/// <c>&lt;root&gt;access/tokens/&lt;id&gt;</c> (JSON, the fields of server.db's row), and each token not revoked its name
/// <c>&lt;root&gt;access/names/&lt;name&gt;</c> (its id). A token and its name are written in one transaction that holds only
/// while the name is free, and a revocation frees the name in the transaction that marks the token: of two replicas making
/// one name at once, one does. Every request reads its token's key, so a revocation holds on every replica from the next
/// request on.
/// </summary>
public sealed class EtcdTokenStore(EtcdConnection etcd, TimeProvider time) : ITokenStore
{
    private readonly string _tokens = etcd.Location.Root + "access/tokens/";
    private readonly string _names = etcd.Location.Root + "access/names/";

    public string Describe => $"etcd {etcd.Location} ({_tokens})";

    public async Task<(CreatedToken? Created, Finding? Refused)> CreateAsync(TokenRequest request, DateTimeOffset? expiresAt, string? createdBy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (id, token) = ApiToken.Create();
        var stored = new StoredToken(id, request.Name, ApiToken.Hash(token), request.Admin == true, request.Admin == true ? [] : request.Grants ?? [],
            time.GetUtcNow().ToUnixTimeSeconds(), expiresAt?.ToUnixTimeSeconds(), null, createdBy);
        var transaction = new TxnRequest();
        transaction.Compare.Add(Absent(_names + request.Name));
        transaction.Compare.Add(Absent(_tokens + id));
        transaction.Success.Add(Put(_tokens + id, JsonSerializer.SerializeToUtf8Bytes(stored, EtcdTokenJson.Default.StoredToken)));
        transaction.Success.Add(Put(_names + request.Name, System.Text.Encoding.UTF8.GetBytes(id)));
        var response = await etcd.CallAsync(ct => etcd.Client.TransactionAsync(transaction, cancellationToken: ct),
            $"create token '{request.Name}'", cancellationToken).ConfigureAwait(false);
        return response.Succeeded ? (new CreatedToken(token, stored.Info(time.GetUtcNow())), null) : (null, TokenRules.NameTakenFinding(request.Name));
    }

    public async Task<IReadOnlyList<TokenInfo>> ListAsync(CancellationToken cancellationToken)
    {
        var request = new RangeRequest { Key = ByteString.CopyFromUtf8(_tokens), RangeEnd = ByteString.CopyFromUtf8(_tokens[..^1] + "0") };
        var response = await etcd.CallAsync(ct => etcd.Client.GetAsync(request, cancellationToken: ct), "list the tokens", cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        return [.. response.Kvs.Select(kv => (Stored: Parse(kv), kv.CreateRevision)).Where(t => t.Stored is not null)
            .OrderBy(t => t.Stored!.CreatedAt).ThenBy(t => t.CreateRevision).Select(t => t.Stored!.Info(now))];
    }

    public async Task<TokenInfo?> RevokeAsync(string id, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (await ReadAsync(id, "read a token to revoke it", cancellationToken).ConfigureAwait(false) is not ({ } stored, var revision))
            {
                return null;
            }

            var now = time.GetUtcNow();
            if (stored.RevokedAt is not null)
            {
                return stored.Info(now);
            }

            var revoked = stored with { RevokedAt = now.ToUnixTimeSeconds() };
            var transaction = new TxnRequest();
            transaction.Compare.Add(new Compare
            {
                Key = ByteString.CopyFromUtf8(_tokens + id),
                Target = Compare.Types.CompareTarget.Mod,
                Result = Compare.Types.CompareResult.Equal,
                ModRevision = revision,
            });
            transaction.Success.Add(Put(_tokens + id, JsonSerializer.SerializeToUtf8Bytes(revoked, EtcdTokenJson.Default.StoredToken)));
            transaction.Success.Add(new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = ByteString.CopyFromUtf8(_names + stored.Name) } });
            var response = await etcd.CallAsync(ct => etcd.Client.TransactionAsync(transaction, cancellationToken: ct),
                $"revoke token {id}", cancellationToken).ConfigureAwait(false);
            if (response.Succeeded)
            {
                return revoked.Info(now);
            }

            // Changed since it was read (revoked by another replica): read it again.
        }
    }

    public async Task<(TokenInfo? Token, string? Refusal)> AuthenticateAsync(string presented, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(presented);
        if (ApiToken.IdOf(presented) is not { } id)
        {
            return (null, "not a Trellis token");
        }

        var (stored, _) = await ReadAsync(id, "read a token", cancellationToken).ConfigureAwait(false);
        return ITokenStore.Judge(presented, id, stored?.Hash, stored?.Info(time.GetUtcNow()));
    }

    /// <summary>The token of id <paramref name="id"/> and its key's mod revision; nulls when there is none (or it cannot be read).</summary>
    private async Task<(StoredToken? Token, long Revision)> ReadAsync(string id, string what, CancellationToken cancellationToken)
    {
        var request = new RangeRequest { Key = ByteString.CopyFromUtf8(_tokens + id) };
        var response = await etcd.CallAsync(ct => etcd.Client.GetAsync(request, cancellationToken: ct), what, cancellationToken).ConfigureAwait(false);
        return response.Kvs is [var kv] && Parse(kv) is { } stored && stored.Id == id ? (stored, kv.ModRevision) : (null, 0);
    }

    /// <summary>A stored token, or null when the value is not one (it then signs nobody in, and is not listed).</summary>
    private static StoredToken? Parse(Mvccpb.KeyValue kv)
    {
        try
        {
            return JsonSerializer.Deserialize(kv.Value.Span, EtcdTokenJson.Default.StoredToken) is { Hash.Length: 32 } stored ? stored : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static Compare Absent(string key) => new()
    {
        Key = ByteString.CopyFromUtf8(key),
        Target = Compare.Types.CompareTarget.Create,
        Result = Compare.Types.CompareResult.Equal,
        CreateRevision = 0,
    };

    private static RequestOp Put(string key, byte[] value) =>
        new() { RequestPut = new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFrom(value) } };
}

/// <summary>A token as <see cref="EtcdTokenStore"/> keeps it: server.db's columns, times in Unix seconds, the hash in base64.</summary>
internal sealed record StoredToken(
    string Id,
    string Name,
    byte[] Hash,
    bool Admin,
    IReadOnlyList<SiteGrant> Grants,
    long CreatedAt,
    long? ExpiresAt,
    long? RevokedAt,
    string? CreatedBy)
{
    public TokenInfo Info(DateTimeOffset now)
    {
        DateTimeOffset? expires = ExpiresAt is { } e ? DateTimeOffset.FromUnixTimeSeconds(e) : null;
        DateTimeOffset? revoked = RevokedAt is { } r ? DateTimeOffset.FromUnixTimeSeconds(r) : null;
        return new TokenInfo(Id, Name, Admin, Grants, DateTimeOffset.FromUnixTimeSeconds(CreatedAt), expires, revoked, CreatedBy,
            TokenInfo.StatusAt(revoked, expires, now));
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, UseStringEnumConverter = true)]
[JsonSerializable(typeof(StoredToken))]
internal sealed partial class EtcdTokenJson : JsonSerializerContext;
