using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Trellis.Rendering;

/// <summary>
/// Writes Kubernetes manifests as one YAML stream (documents separated by <c>---</c>) through YamlDotNet's emitter,
/// which quotes and escapes every scalar: no value can open a new document or a new key.
/// </summary>
public static class YamlManifestWriter
{
    public static string Write(IEnumerable<YamlNode> documents)
    {
        var text = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        var emitter = new Emitter(text);
        emitter.Emit(new StreamStart());
        var first = true;
        foreach (var document in documents)
        {
            emitter.Emit(new DocumentStart(null, null, isImplicit: first));
            Emit(emitter, document);
            emitter.Emit(new DocumentEnd(isImplicit: true));
            first = false;
        }

        emitter.Emit(new StreamEnd());
        return text.ToString();
    }

    /// <summary>A string value, double-quoted so that no value (a key "123", "true", a newline) is read back as anything but that string.</summary>
    public static YamlScalarNode Text(string value) => new(value) { Style = ScalarStyle.DoubleQuoted };

    public static YamlScalarNode Number(long value) => new(value.ToString(CultureInfo.InvariantCulture)) { Style = ScalarStyle.Plain };

    private static void Emit(IEmitter emitter, YamlNode node)
    {
        switch (node)
        {
            case YamlScalarNode scalar:
                emitter.Emit(new Scalar(null, null, scalar.Value ?? "", scalar.Style, isPlainImplicit: true, isQuotedImplicit: true));
                break;
            case YamlSequenceNode sequence:
                emitter.Emit(new SequenceStart(null, null, isImplicit: true, SequenceStyle.Block));
                foreach (var item in sequence.Children)
                {
                    Emit(emitter, item);
                }

                emitter.Emit(new SequenceEnd());
                break;
            case YamlMappingNode mapping:
                emitter.Emit(new MappingStart(null, null, isImplicit: true, MappingStyle.Block));
                foreach (var (key, value) in mapping.Children)
                {
                    Emit(emitter, key);
                    Emit(emitter, value);
                }

                emitter.Emit(new MappingEnd());
                break;
            default:
                throw new ArgumentException($"Unsupported YAML node {node.GetType().Name}.", nameof(node));
        }
    }
}
