using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Trellis.Cli;

/// <summary>Writes the CLI's JSON documents as YAML, so that -o yaml and -o json always carry the same fields.</summary>
internal static class YamlEmitter
{
    public static string FromJson(string json)
    {
        using var document = JsonDocument.Parse(json);
        var builder = new StringBuilder();
        Write(builder, document.RootElement, 0, inList: false);
        return builder.ToString();
    }

    private static void Write(StringBuilder b, JsonElement e, int indent, bool inList)
    {
        var pad = new string(' ', indent);
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                var first = true;
                foreach (var p in e.EnumerateObject())
                {
                    var prefix = first && inList ? "" : pad;
                    first = false;
                    if (IsScalar(p.Value) || IsEmpty(p.Value))
                    {
                        b.Append(prefix).Append(p.Name).Append(": ").Append(Scalar(p.Value)).Append('\n');
                    }
                    else
                    {
                        b.Append(prefix).Append(p.Name).Append(":\n");
                        Write(b, p.Value, indent + 2, inList: false);
                    }
                }

                if (first)
                {
                    b.Append(inList ? "" : pad).Append("{}\n");
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in e.EnumerateArray())
                {
                    b.Append(pad).Append("- ");
                    if (IsScalar(item) || IsEmpty(item))
                    {
                        b.Append(Scalar(item)).Append('\n');
                    }
                    else
                    {
                        Write(b, item, indent + 2, inList: true);
                    }
                }

                break;
            default:
                b.Append(pad).Append(Scalar(e)).Append('\n');
                break;
        }
    }

    private static bool IsScalar(JsonElement e) => e.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array);

    private static bool IsEmpty(JsonElement e) =>
        (e.ValueKind == JsonValueKind.Array && e.GetArrayLength() == 0) || (e.ValueKind == JsonValueKind.Object && !e.EnumerateObject().Any());

    private static string Scalar(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => Quote(e.GetString()!),
        JsonValueKind.Number => e.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Array => "[]",
        JsonValueKind.Object => "{}",
        _ => "null",
    };

    private static string Quote(string s)
    {
        var plain = s.Length > 0 && !s.Any(c => ":#{}[],&*!|>'\"%@`\n\\".Contains(c)) && !char.IsWhiteSpace(s[0]) && !char.IsWhiteSpace(s[^1])
            && !double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
            && s is not ("true" or "false" or "null" or "~" or "yes" or "no" or "on" or "off") && s[0] != '-';
        return plain ? s : JsonSerializer.Serialize(s);
    }
}
