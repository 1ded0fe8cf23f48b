using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Trellis.Cli;

/// <summary>Writes the CLI's JSON documents as YAML, so that -o yaml and -o json always carry the same fields.</summary>
internal static partial class YamlEmitter
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
        var plain = s.Length > 0 && !s.Any(c => ":#{}[],&*!|>'\"%@`\\".Contains(c) || Unprintable(c) || char.IsSurrogate(c))
            && !char.IsWhiteSpace(s[0]) && !char.IsWhiteSpace(s[^1]) && s[0] is not ('-' or '?')
            && !double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
            && !NotAString().IsMatch(s);
        return plain ? s : DoubleQuoted(s);
    }

    /// <summary>
    /// Plain scalars that YAML 1.2 (core schema) or YAML 1.1 (still many parsers' default) reads as a null, a boolean,
    /// a number, a date or a special key rather than a string.
    /// </summary>
    [GeneratedRegex(@"^(~|null|y|yes|n|no|true|false|on|off|=|<<|[-+]?(0b[01_]+|0o?[0-7_]+|0x[0-9a-f_]+|[0-9][0-9_]*(\.[0-9_]*)?(e[-+]?[0-9]+)?|\.[0-9_]+(e[-+]?[0-9]+)?|\.inf)|\.nan|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}.*)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex NotAString();

    /// <summary>Characters YAML does not print as they are: controls, and what YAML 1.1 reads as a line break or a byte order mark.</summary>
    private static bool Unprintable(char c) => char.IsControl(c) || c is '\u2028' or '\u2029' or '\uFEFF' or '\uFFFE' or '\uFFFF';

    /// <summary>A YAML double-quoted scalar: escapes for what YAML does not print (not JSON's UTF-16 surrogate escapes).</summary>
    private static string DoubleQuoted(string s)
    {
        var b = new StringBuilder(s.Length + 2).Append('"');
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            switch (c)
            {
                case '"': b.Append("\\\""); break;
                case '\\': b.Append("\\\\"); break;
                case '\n': b.Append("\\n"); break;
                case '\r': b.Append("\\r"); break;
                case '\t': b.Append("\\t"); break;
                default:
                    if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
                    {
                        b.Append(CultureInfo.InvariantCulture, $"\\U{char.ConvertToUtf32(c, s[++i]):X8}");
                    }
                    else if (Unprintable(c) || char.IsSurrogate(c))
                    {
                        b.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
                    }
                    else
                    {
                        b.Append(c);
                    }

                    break;
            }
        }

        return b.Append('"').ToString();
    }
}
