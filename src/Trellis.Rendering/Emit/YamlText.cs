using System.Collections;
using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Trellis.Rendering.Emit;

/// <summary>
/// Writes Kubernetes manifests through YamlDotNet's emitter: every value is one scalar event, so a name holding a
/// newline, "---", a quote or a comment sign stays inside its scalar (quoted and escaped by the emitter) and can never
/// start a document, a key or a comment. A string is written plain only where YAML cannot read it as anything else.
/// </summary>
public static partial class YamlText
{
    /// <summary>One or more documents in one stream, separated by "---".</summary>
    public static string Documents(IEnumerable<YamlMap> documents, IEnumerable<string>? headerComments = null)
    {
        ArgumentNullException.ThrowIfNull(documents);
        using var text = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        foreach (var line in headerComments ?? [])
        {
            text.Write("# ");
            text.Write(CommentText.OneLine(line));
            text.Write('\n');
        }

        var emitter = new Emitter(text, new EmitterSettings(2, int.MaxValue, false, 1024, false, true, "\n"));
        emitter.Emit(new StreamStart());
        var first = true;
        foreach (var document in documents)
        {
            emitter.Emit(new DocumentStart(null, null, isImplicit: first));
            first = false;
            Write(emitter, document);
            emitter.Emit(new DocumentEnd(isImplicit: true));
        }

        emitter.Emit(new StreamEnd());
        return text.ToString();
    }

    public static string Document(YamlMap document, IEnumerable<string>? headerComments = null) => Documents([document], headerComments);

    private static void Write(IEmitter emitter, object value)
    {
        switch (value)
        {
            case string s:
                emitter.Emit(String(s));
                break;
            case bool b:
                emitter.Emit(Plain(b ? "true" : "false"));
                break;
            case int or long or uint or ulong or short or ushort or byte:
                emitter.Emit(Plain(Convert.ToString(value, CultureInfo.InvariantCulture)!));
                break;
            case YamlMap map:
                emitter.Emit(new MappingStart(null, null, isImplicit: true, MappingStyle.Block));
                foreach (var (key, item) in map)
                {
                    if (item is null)
                    {
                        continue;
                    }

                    emitter.Emit(String(key));
                    Write(emitter, item);
                }

                emitter.Emit(new MappingEnd());
                break;
            case IEnumerable items:
                emitter.Emit(new SequenceStart(null, null, isImplicit: true, SequenceStyle.Block));
                foreach (var item in items)
                {
                    Write(emitter, item ?? throw new ArgumentException("A YAML sequence holds no null items.", nameof(value)));
                }

                emitter.Emit(new SequenceEnd());
                break;
            default:
                // Typed values (addresses, prefixes) are written as their text: a string scalar.
                emitter.Emit(String(Convert.ToString(value, CultureInfo.InvariantCulture) ?? ""));
                break;
        }
    }

    private static Scalar Plain(string text) => new(null, null, text, ScalarStyle.Plain, isPlainImplicit: true, isQuotedImplicit: false);

    /// <summary>Plain where no YAML 1.1 or 1.2 resolver reads the text as a bool, null, number or date; double-quoted otherwise.</summary>
    private static Scalar String(string text) =>
        new(null, null, text, PlainString().IsMatch(text) && !NonString().IsMatch(text) ? ScalarStyle.Plain : ScalarStyle.DoubleQuoted,
            isPlainImplicit: true, isQuotedImplicit: true);

    /// <summary>Starts with a letter (a name, a selector such as all()) or is an address, a prefix or a range of addresses.</summary>
    [GeneratedRegex(@"^(?:[A-Za-z][A-Za-z0-9._/()-]*|[0-9]+(?:\.[0-9]+){3}(?:/[0-9]+|-[0-9]+(?:\.[0-9]+){3})?)$")]
    private static partial Regex PlainString();

    [GeneratedRegex(@"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL)$")]
    private static partial Regex NonString();
}
