using YamlDotNet.RepresentationModel;

namespace Trellis.Rendering.Tests;

/// <summary>Rendered YAML read back with YamlDotNet's parser, as the tests compare it.</summary>
internal static class YamlDocuments
{
    public static List<YamlMappingNode> Parse(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return stream.Documents.Select(d => (YamlMappingNode)d.RootNode).ToList();
    }

    /// <summary>The scalar at a path of mapping keys.</summary>
    public static string Scalar(YamlNode node, params string[] path)
    {
        foreach (var key in path)
        {
            node = ((YamlMappingNode)node)[key];
        }

        return ((YamlScalarNode)node).Value!;
    }
}
