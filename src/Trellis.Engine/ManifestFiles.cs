using Trellis.Engine.Contracts;

namespace Trellis.Engine;

/// <summary>
/// Manifest files and folders (the CLI's -f, the module's -Path), read as <c>kubectl apply -R -f</c> takes them: files, and folders with every manifest
/// file under them (.yaml, .yml, .json) in name order. Each file is read only if it is a regular file of a sane size;
/// a path that is not there, a file or a folder that cannot be read is a finding, and the rest is still read. A folder
/// reached again through a symbolic link (a link to a folder already read, or a cycle) is read once.
/// </summary>
public static class ManifestFiles
{
    private static readonly string[] Extensions = [".yaml", ".yml", ".json"];

    /// <summary>
    /// The texts, each named as findings name it: a file by its name, a file found in a folder by the folder's name and
    /// its path under it (<c>manifests/shop/web.yaml</c>).
    /// </summary>
    public static (IReadOnlyList<ManifestText> Manifests, IReadOnlyList<Finding> Problems) Read(IEnumerable<string> paths) =>
        Read(paths, folder => [.. Directory.EnumerateFileSystemEntries(folder)]);

    /// <summary>The same, listing each folder with <paramref name="listFolder"/> (the file system a test injects).</summary>
    /// <param name="listFolder">A folder's entries, files and folders; throws as the file system does when the folder cannot be read.</param>
    public static (IReadOnlyList<ManifestText> Manifests, IReadOnlyList<Finding> Problems) Read(IEnumerable<string> paths, Func<string, IReadOnlyList<string>> listFolder)
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
                var files = new List<string>();
                Walk(path, Canonical(path, null), listFolder, files, problems, []);
                foreach (var file in files.Order(StringComparer.Ordinal))
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
                problems.Add(Finding.Error("ManifestNotFound", path, $"No file or folder '{path}'.", "Check the path of the manifest file or folder."));
            }
        }

        return (manifests, problems);
    }

    private static void Walk(string folder, string canonical, Func<string, IReadOnlyList<string>> listFolder, List<string> files, List<Finding> problems, HashSet<string> seen)
    {
        if (!seen.Add(canonical))
        {
            return;
        }

        IReadOnlyList<string> entries;
        try
        {
            entries = listFolder(folder);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            problems.Add(Finding.Error("ManifestFolderUnreadable", folder, $"The folder '{folder}' cannot be read ({e.Message}); its manifests were not read, the rest was.",
                "Make the folder readable and searchable by the user running Trellis (e.g. chmod u+rx), or move it out of the folder given."));
            return;
        }

        foreach (var entry in entries.Order(StringComparer.Ordinal))
        {
            if (Directory.Exists(entry))
            {
                Walk(entry, Canonical(entry, canonical), listFolder, files, problems, seen);
            }
            else if (Extensions.Contains(Path.GetExtension(entry), StringComparer.OrdinalIgnoreCase))
            {
                files.Add(entry);
            }
        }
    }

    /// <summary>
    /// The folder's path with every symbolic link on the way resolved: a link by its final target, any other folder by its
    /// name under its parent's canonical path.
    /// </summary>
    private static string Canonical(string folder, string? parent)
    {
        var info = new DirectoryInfo(folder);
        if (info.LinkTarget is not null)
        {
            try
            {
                return Path.TrimEndingDirectorySeparator(Path.GetFullPath(info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? info.FullName));
            }
            catch (IOException)
            {
                return info.FullName;
            }
        }

        return parent is null ? Path.TrimEndingDirectorySeparator(info.FullName) : Path.Combine(parent, info.Name);
    }
}
