using Trellis.Engine;
using Trellis.Engine.Contracts;

namespace Trellis.Cli;

/// <summary>
/// The manifests given with -f, read as <c>kubectl apply -R -f</c> takes them: files, and folders with every manifest
/// file under them (.yaml, .yml, .json) in name order. Each file is read only if it is a regular file of a sane size;
/// a path that is not there or a file that cannot be read is a finding, and the rest is still read.
/// </summary>
public static class ManifestFiles
{
    private static readonly string[] Extensions = [".yaml", ".yml", ".json"];

    /// <summary>
    /// The texts, each named as findings name it: a file by its name, a file found in a folder by the folder's name and
    /// its path under it (<c>manifests/shop/web.yaml</c>).
    /// </summary>
    public static (IReadOnlyList<ManifestText> Manifests, IReadOnlyList<Finding> Problems) Read(IEnumerable<string> paths)
    {
        var manifests = new List<ManifestText>();
        var problems = new List<Finding>();
        void Add(string file, string name)
        {
            var (text, problem) = InputFiles.ReadText(file, file, InputFiles.MaxManifestBytes);
            if (text is not null)
            {
                manifests.Add(new ManifestText(name, text));
            }
            else if (problem is not null)
            {
                problems.Add(problem);
            }
        }

        foreach (var path in paths)
        {
            if (Directory.Exists(path))
            {
                var folder = Path.GetFileName(Path.TrimEndingDirectorySeparator(path));
                foreach (var file in Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                    .Where(f => Extensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
                    .Order(StringComparer.Ordinal))
                {
                    Add(file, Path.Combine(folder, Path.GetRelativePath(path, file)));
                }
            }
            else if (File.Exists(path))
            {
                Add(path, Path.GetFileName(path));
            }
            else
            {
                problems.Add(Finding.Error("ManifestNotFound", path, $"No file or folder '{path}'.", "Check the path given with -f."));
            }
        }

        return (manifests, problems);
    }
}
