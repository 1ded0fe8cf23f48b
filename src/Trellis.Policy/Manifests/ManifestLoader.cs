using System.Text;

namespace Trellis.Policy.Manifests;

/// <summary>
/// Loads manifests the way <c>kubectl apply -f</c> takes them: texts of multi-document YAML (or JSON), and
/// <c>kind: List</c>. A broken document gives a finding and the rest is still loaded; unknown kinds give a note.
/// </summary>
public static class ManifestLoader
{
    /// <summary>
    /// Loads manifests as one apply, each text named as findings will name it (a file's path, <c>folder/file.yaml</c>):
    /// later objects replace earlier ones with the same kind, namespace and name. Reading files and walking folders is
    /// the front end's part; this takes their texts.
    /// </summary>
    public static PolicySet Load(IEnumerable<(string Name, string Text)> manifests)
    {
        var builder = new ManifestBuilder();
        foreach (var (name, text) in manifests)
        {
            builder.AddText(text, name);
        }

        return builder.Build();
    }

    /// <summary>Loads manifest text; <paramref name="fileName"/> names it in findings.</summary>
    public static PolicySet LoadText(string yaml, string fileName = "manifest.yaml") => Load([(fileName, yaml)]);

    /// <summary>Several sets as one apply: later objects replace earlier ones with the same kind, namespace and name.</summary>
    internal static PolicySet Combine(IEnumerable<PolicySet> sets)
    {
        var builder = new ManifestBuilder();
        foreach (var s in sets)
        {
            builder.Add(s);
        }

        return builder.Build();
    }

    /// <summary>Splits a stream at its document markers, so that a syntax error costs one document, not the rest of the file.</summary>
    /// <summary>
    /// The documents of a multi-document text, each with the file line its text starts at (1-based) and the characters
    /// before its text on that line (those of "--- " when the document starts on its marker's line).
    /// </summary>
    internal static IEnumerable<(string Text, int FirstLine, int FirstColumns)> SplitDocuments(string text)
    {
        var current = new StringBuilder();
        var first = 1;
        var columns = 0;
        var number = 0;
        using var reader = new StringReader(text);
        while (reader.ReadLine() is { } line)
        {
            number++;
            if (line.StartsWith("---", StringComparison.Ordinal) && (line.Length == 3 || char.IsWhiteSpace(line[3])))
            {
                yield return (current.ToString(), first, columns);
                current.Clear();
                var rest = line[3..].Trim();
                if (rest.Length > 0 && !rest.StartsWith('#'))
                {
                    // "--- {...}": the document starts on the marker's line.
                    current.AppendLine(rest);
                    first = number;
                    columns = line.IndexOf(rest, 3, StringComparison.Ordinal);
                }
                else
                {
                    first = number + 1;
                    columns = 0;
                }

                continue;
            }

            if (line.StartsWith("...", StringComparison.Ordinal) && line.TrimEnd() == "...")
            {
                yield return (current.ToString(), first, columns);
                current.Clear();
                first = number + 1;
                columns = 0;
                continue;
            }

            current.AppendLine(line);
        }

        yield return (current.ToString(), first, columns);
    }

    internal static bool IsBlank(string document) =>
        document.Split('\n').All(l => l.Trim().Length == 0 || l.TrimStart().StartsWith('#') || l.TrimStart().StartsWith('%'));
}
