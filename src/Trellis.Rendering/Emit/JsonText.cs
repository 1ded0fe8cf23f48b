using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Trellis.Rendering.Emit;

/// <summary>
/// Writes rendered JSON through System.Text.Json: two-space indent, LF endings, a final newline. The writer escapes
/// every quote, backslash, control and non-ASCII character, so a value can never leave its string.
/// </summary>
public static class JsonText
{
    public static readonly JsonSerializerOptions IndentedOptions = new() { WriteIndented = true, IndentSize = 2, NewLine = "\n" };

    public static readonly JsonWriterOptions IndentedWriter = new() { Indented = true, IndentSize = 2, NewLine = "\n" };

    public static string Write(JsonNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return node.ToJsonString(IndentedOptions) + "\n";
    }

    public static string Write(Action<Utf8JsonWriter> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, IndentedWriter))
        {
            write(json);
        }

        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    /// <summary>
    /// A string property for Kea, whose JSON parser rejects any \u escape above \u00FF ("Unsupported unicode escape"):
    /// quote, backslash and the C0 controls are escaped, every other character is written as UTF-8. The writer still
    /// checks that the result is one valid JSON string.
    /// </summary>
    public static void WriteKeaString(Utf8JsonWriter json, string property, string value)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(value);
        json.WritePropertyName(property);
        json.WriteRawValue(KeaStringLiteral(value));
    }

    public static string KeaStringLiteral(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var literal = new StringBuilder(value.Length + 2).Append('"');
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c is '"' or '\\')
            {
                literal.Append('\\').Append(c);
            }
            else if (c < ' ' || c == '\x7F')
            {
                literal.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
            else if (char.IsSurrogate(c) && !(char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1])))
            {
                // A lone surrogate has no UTF-8 form (validation refuses it); the replacement character keeps the file valid.
                literal.Append('\uFFFD');
            }
            else if (char.IsHighSurrogate(c))
            {
                literal.Append(c).Append(value[++i]);
            }
            else
            {
                literal.Append(c);
            }
        }

        return literal.Append('"').ToString();
    }
}
