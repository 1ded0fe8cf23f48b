using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Trellis.Engine.Contracts;

/// <summary>
/// Writes a list of <see cref="Allocation"/>s as UTF-8 JSON, byte for byte what <see cref="JsonSerializer"/> writes of it with
/// camelCase names and nulls left out (the contract's JSON shape: pool, address, owner, detail, expiresAt, key), without the
/// serializer's metadata and without a string per key: a listing of a whole site is tens of thousands of allocations, and
/// building the serializer's metadata costs a command as much as writing them.
/// </summary>
public static class AllocationJson
{
    private const int FlushAt = 16 * 1024;

    /// <summary>Writes <paramref name="allocations"/> to <paramref name="utf8"/> with the writer settings of <paramref name="options"/> (indentation, new line, encoder).</summary>
    /// <exception cref="ArgumentException"><paramref name="options"/> does not name properties in camelCase and leave nulls out.</exception>
    public static void Write(Stream utf8, IReadOnlyList<Allocation> allocations, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(utf8);
        ArgumentNullException.ThrowIfNull(allocations);
        ArgumentNullException.ThrowIfNull(options);
        if (options.PropertyNamingPolicy != JsonNamingPolicy.CamelCase || options.DefaultIgnoreCondition != JsonIgnoreCondition.WhenWritingNull)
        {
            throw new ArgumentException("The allocation shape is written with camelCase names and without nulls.", nameof(options));
        }

        using var writer = new Utf8JsonWriter(utf8, new JsonWriterOptions
        {
            Encoder = options.Encoder,
            Indented = options.WriteIndented,
            IndentCharacter = options.IndentCharacter,
            IndentSize = options.IndentSize,
            NewLine = options.NewLine,
            MaxDepth = options.MaxDepth,
        });
        var key = ArrayPool<char>.Shared.Rent(256);
        try
        {
            writer.WriteStartArray();
            foreach (var a in allocations)
            {
                if (a is null)
                {
                    writer.WriteNullValue();
                    continue;
                }

                writer.WriteStartObject();
                Text(writer, "pool"u8, a.Pool);
                Text(writer, "address"u8, a.Address);
                Text(writer, "owner"u8, a.Owner);
                Text(writer, "detail"u8, a.Detail);
                if (a.ExpiresAt is { } expires)
                {
                    writer.WriteString("expiresAt"u8, expires);
                }

                // Allocation.Key, $"{Pool}/{Address}", written from a buffer.
                var length = (a.Pool?.Length ?? 0) + 1 + (a.Address?.Length ?? 0);
                if (key.Length < length)
                {
                    ArrayPool<char>.Shared.Return(key);
                    key = ArrayPool<char>.Shared.Rent(length);
                }

                a.Pool.AsSpan().CopyTo(key);
                key[a.Pool?.Length ?? 0] = '/';
                a.Address.AsSpan().CopyTo(key.AsSpan((a.Pool?.Length ?? 0) + 1));
                writer.WriteString("key"u8, key.AsSpan(0, length));
                writer.WriteEndObject();

                // The writer keeps what it was given until flushed: in pieces, not a buffer of the whole document.
                if (writer.BytesPending > FlushAt)
                {
                    writer.Flush();
                }
            }

            writer.WriteEndArray();
        }
        finally
        {
            ArrayPool<char>.Shared.Return(key);
        }
    }

    private static void Text(Utf8JsonWriter writer, ReadOnlySpan<byte> name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }
}
