using System.Text;
using System.Text.Json;

namespace Trellis.Engine;

/// <summary>
/// Reads stored allocations (what <see cref="StoredAllocation"/> serializes to) with a <see cref="Utf8JsonReader"/> straight
/// from the stored bytes: a state holds one per address, tens of thousands, and every command reads them all. The rows of
/// one pool come one after another (their keys start with the pool), so the pool's text is made once per run of rows,
/// not once per row. Reads what the serializer reads: properties in any order, unknown ones skipped, JSON escapes.
/// </summary>
internal sealed class StoredAllocationReader
{
    private byte[] lastPoolUtf8 = [];
    private string? lastPool;

    /// <summary>The allocation in <paramref name="json"/>, as fields (no object per row); false when the value is JSON <c>null</c>.</summary>
    /// <exception cref="JsonException">The value is not JSON, not an object, or lacks a pool, an address or an owner.</exception>
    public bool Read(ReadOnlySpan<byte> json, out StoredFields stored)
    {
        var reader = new Utf8JsonReader(json);
        if (!reader.Read())
        {
            throw new JsonException("it is empty");
        }

        if (reader.TokenType == JsonTokenType.Null)
        {
            End(ref reader);
            stored = default;
            return false;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException($"it is a JSON {reader.TokenType}, not an object");
        }

        string? pool = null, address = null, owner = null, detail = null;
        DateTimeOffset? expiresAt = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("pool"u8))
            {
                reader.Read();
                pool = Pool(ref reader);
            }
            else if (reader.ValueTextEquals("address"u8))
            {
                reader.Read();
                address = Text(ref reader, "address");
            }
            else if (reader.ValueTextEquals("owner"u8))
            {
                reader.Read();
                owner = Text(ref reader, "owner");
            }
            else if (reader.ValueTextEquals("detail"u8))
            {
                reader.Read();
                detail = Text(ref reader, "detail");
            }
            else if (reader.ValueTextEquals("expiresAt"u8))
            {
                reader.Read();
                expiresAt = reader.TokenType == JsonTokenType.Null ? null
                    : reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out var time) ? time
                    : throw new JsonException("its expiresAt is not a time");
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        End(ref reader);
        stored = new StoredFields(
            pool ?? throw new JsonException("it has no pool"),
            address ?? throw new JsonException("it has no address"),
            owner ?? throw new JsonException("it has no owner"),
            detail,
            expiresAt);
        return true;
    }

    /// <summary>After the value: nothing but white space (the reader throws on anything else).</summary>
    private static void End(ref Utf8JsonReader reader)
    {
        if (reader.Read())
        {
            throw new JsonException("it holds more than one JSON value");
        }
    }

    private static string? Text(ref Utf8JsonReader reader, string name) => reader.TokenType switch
    {
        JsonTokenType.String => reader.GetString(),
        JsonTokenType.Null => null,
        _ => throw new JsonException($"its {name} is a JSON {reader.TokenType}, not a string"),
    };

    private string? Pool(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.String && lastPool is not null && reader.ValueTextEquals(lastPoolUtf8))
        {
            return lastPool;
        }

        var pool = Text(ref reader, "pool");
        // A lone surrogate would be written as U+FFFD and match another pool's bytes: such a text is not kept.
        if (pool is not null && !pool.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF'))
        {
            lastPool = pool;
            lastPoolUtf8 = Encoding.UTF8.GetBytes(pool);
        }

        return pool;
    }
}

/// <summary>The fields of a <see cref="StoredAllocation"/> as read, without an object of their own.</summary>
internal readonly record struct StoredFields(string Pool, string Address, string Owner, string? Detail, DateTimeOffset? ExpiresAt);
