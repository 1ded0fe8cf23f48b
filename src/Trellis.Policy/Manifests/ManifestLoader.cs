using System.Text;
using Trellis.Core.Validation;

namespace Trellis.Policy.Manifests;

/// <summary>
/// Loads manifests the way <c>kubectl apply -f</c> takes them: files and folders of multi-document YAML (or JSON), and
/// <c>kind: List</c>. A broken document gives a finding and the rest is still loaded; unknown kinds give a note.
/// </summary>
public static class ManifestLoader
{
    private static readonly string[] Extensions = [".yaml", ".yml", ".json"];

    /// <summary>
    /// Loads files and folders (a folder's manifest files in name order; subfolders only when <paramref name="recursive"/>, as kubectl -R).
    /// <paramref name="read"/> reads one file, or says why it cannot (a FIFO, a device, no permission) as a finding.
    /// </summary>
    public static PolicySet Load(IEnumerable<string> paths, bool recursive = false, Func<string, (string? Text, Finding? Problem)>? read = null)
    {
        read ??= static file => (File.ReadAllText(file), null);
        var builder = new ManifestBuilder();
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
            {
                var files = Directory.EnumerateFiles(path, "*", recursive ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly)
                    .Where(f => Extensions.Contains(System.IO.Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
                    .Order(StringComparer.Ordinal);
                var folder = System.IO.Path.GetFileName(System.IO.Path.TrimEndingDirectorySeparator(path));
                foreach (var file in files)
                {
                    Add(builder, read(file), System.IO.Path.Combine(folder, System.IO.Path.GetRelativePath(path, file)));
                }
            }
            else if (File.Exists(path))
            {
                Add(builder, read(path), System.IO.Path.GetFileName(path));
            }
            else
            {
                builder.Findings.Add(Finding.Error("ManifestNotFound", path, $"No file or folder '{path}'.", "Check the path given with -f."));
            }
        }

        return builder.Build();
    }

    public static PolicySet Load(params string[] paths) => Load(paths, recursive: false);

    private static void Add(ManifestBuilder builder, (string? Text, Finding? Problem) file, string name)
    {
        if (file.Text is { } text)
        {
            builder.AddText(text, name);
        }
        else if (file.Problem is { } problem)
        {
            builder.Findings.Add(problem);
        }
    }

    /// <summary>Loads manifest text; <paramref name="fileName"/> names it in findings.</summary>
    public static PolicySet LoadText(string yaml, string fileName = "manifest.yaml")
    {
        var builder = new ManifestBuilder();
        builder.AddText(yaml, fileName);
        return builder.Build();
    }

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
