using Trellis.Engine.Contracts;

namespace Trellis.Server.Security;

/// <summary>
/// Where the server's tokens are kept: <c>&lt;data&gt;/server.db</c> beside a folder store (<see cref="SqliteTokenStore"/>), or
/// the etcd cluster of an etcd store, shared by every replica (<see cref="EtcdTokenStore"/>). Every request reads it, so a
/// revocation holds from the next request on. A store that fails throws <see cref="Stores.FleetStoreException"/>.
/// </summary>
public interface ITokenStore
{
    /// <summary>
    /// The tokens of a server whose fleet is on <paramref name="etcd"/> (null: a folder store, whose data folder is
    /// <paramref name="dataDirectory"/>), as <see cref="Fleet"/> chooses its site store.
    /// </summary>
    static ITokenStore For(string dataDirectory, Stores.EtcdConnection? etcd, TimeProvider time) =>
        etcd is null ? new SqliteTokenStore(dataDirectory, time) : new EtcdTokenStore(etcd, time);

    /// <summary>Where the tokens are, for messages (never a password).</summary>
    string Describe { get; }

    /// <summary>Makes a token (the request already checked by <see cref="TokenRules"/>); its secret is returned here and never again.</summary>
    Task<(CreatedToken? Created, Finding? Refused)> CreateAsync(TokenRequest request, DateTimeOffset? expiresAt, string? createdBy, CancellationToken cancellationToken);

    /// <summary>Every token, oldest first, with its status now.</summary>
    Task<IReadOnlyList<TokenInfo>> ListAsync(CancellationToken cancellationToken);

    /// <summary>Revokes a token (already revoked: left as it was); the token as it is now, or null when there is none of that id.</summary>
    Task<TokenInfo?> RevokeAsync(string id, CancellationToken cancellationToken);

    /// <summary>The token a request presents, when it is one of ours, not revoked and not expired; else why not (for the log).</summary>
    Task<(TokenInfo? Token, string? Refusal)> AuthenticateAsync(string presented, CancellationToken cancellationToken);

    /// <summary>The token with id <paramref name="idOrName"/>, else the one not revoked of that name, else the newest of that name.</summary>
    async Task<TokenInfo?> FindAsync(string idOrName, CancellationToken cancellationToken)
    {
        var all = await ListAsync(cancellationToken).ConfigureAwait(false);
        return all.FirstOrDefault(t => t.Id == idOrName) ?? all.FirstOrDefault(t => t.Name == idOrName && t.RevokedAt is null) ??
            all.LastOrDefault(t => t.Name == idOrName);
    }

    /// <summary>
    /// The verdict on <paramref name="presented"/> (whose id is <paramref name="id"/>) given what the store holds of that id: its
    /// hash and record, or nulls. The hash is compared in constant time even for an unknown id, so that timing tells nothing
    /// about the stored hashes.
    /// </summary>
    internal static (TokenInfo? Token, string? Refusal) Judge(string presented, string id, byte[]? storedHash, TokenInfo? stored)
    {
        if (!ApiToken.Matches(presented, storedHash ?? new byte[32]) || storedHash is null || stored is null)
        {
            return (null, $"no token {id} with this secret");
        }

        return stored.Status switch
        {
            TokenStatus.Revoked => (null, $"token {id} ({stored.Name}) is revoked"),
            TokenStatus.Expired => (null, $"token {id} ({stored.Name}) expired at {stored.ExpiresAt:u}"),
            _ => (stored, null),
        };
    }
}
