using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Trellis.Server.Security;

/// <summary>
/// An API token: <c>trl_&lt;12 hex id&gt;_&lt;43 base64url characters&gt;</c>, 32 random bytes behind a public id. The id finds the
/// stored record; only the SHA-256 of the whole token is stored, so server.db cannot be used to sign in, and the token is
/// shown once, when it is made. The prefix lets secret scanners recognise a leaked token.
/// </summary>
public static class ApiToken
{
    public const string Prefix = "trl_";
    private const int IdHexLength = 12;
    private const int SecretBytes = 32;
    private static readonly int SecretLength = Base64Url.GetEncodedLength(SecretBytes);

    /// <summary>A new token and its id, from the operating system's cryptographic random source.</summary>
    public static (string Id, string Token) Create()
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(IdHexLength / 2));
        var secret = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(SecretBytes));
        return (id, $"{Prefix}{id}_{secret}");
    }

    /// <summary>The id of a well-formed token, or null: nothing else about the text is looked at before the hash is compared.</summary>
    public static string? IdOf(string token)
    {
        if (token.Length != Prefix.Length + IdHexLength + 1 + SecretLength || !token.StartsWith(Prefix, StringComparison.Ordinal) ||
            token[Prefix.Length + IdHexLength] != '_')
        {
            return null;
        }

        var id = token.Substring(Prefix.Length, IdHexLength);
        return id.All(char.IsAsciiHexDigitLower) ? id : null;
    }

    /// <summary>What is stored of a token: its SHA-256 (a 256-bit random secret needs no slow hash; nothing can be guessed).</summary>
    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    /// <summary>Whether <paramref name="token"/> hashes to <paramref name="storedHash"/>, in time independent of where they differ.</summary>
    public static bool Matches(string token, ReadOnlySpan<byte> storedHash) =>
        CryptographicOperations.FixedTimeEquals(Hash(token), storedHash);
}
