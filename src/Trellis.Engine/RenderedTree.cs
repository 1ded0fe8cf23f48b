using System.Text;
using Trellis.Engine.Contracts;

namespace Trellis.Engine;

/// <summary>
/// Writes rendered files as one tree, atomically: everything goes to a temporary folder beside the target, which is then
/// renamed into place. A failure (a full disk, no permission, Ctrl-C) leaves the previous tree, never half of the new one.
/// </summary>
public static class RenderedTree
{
    /// <summary>The file that marks a folder as a tree Trellis rendered, and so one it may replace as a whole.</summary>
    public const string Marker = ".trellis-render";

    private static readonly UTF8Encoding Utf8 = new(false);

    /// <summary>
    /// Replaces the folder <paramref name="target"/> with exactly <paramref name="files"/>. Returns findings when the target
    /// cannot be a render tree (a file, or a folder of other files, which is never deleted); throws
    /// <see cref="IOException"/> or <see cref="UnauthorizedAccessException"/> when writing fails, after removing what it wrote.
    /// </summary>
    public static async Task<IReadOnlyList<Finding>> WriteAsync(string target, IReadOnlyList<RenderedFile> files,
        Func<string, string, CancellationToken, Task>? writeFile = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(target);
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(target));
        var parent = Path.GetDirectoryName(full);
        if (File.Exists(full))
        {
            return [Finding.Error("OutputNotADirectory", "output", $"'{target}' is a file; render writes a folder of files.", "Give the path of a new folder, or of one Trellis rendered before.")];
        }

        if (parent is null || (Directory.Exists(full) && Directory.EnumerateFileSystemEntries(full).Any() && !File.Exists(Path.Combine(full, Marker))))
        {
            return [Finding.Error("OutputNotARenderTree", "output", $"'{target}' holds files that Trellis did not render; render replaces its output folder as a whole and never deletes other files.",
                "Give the path of a new or empty folder, or of one Trellis rendered before.")];
        }

        writeFile ??= (path, content, ct) => File.WriteAllTextAsync(path, content, Utf8, ct);
        Directory.CreateDirectory(parent);
        var name = Path.GetFileName(full);
        var temporary = Path.Combine(parent, $".{name}.trellis-new-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(temporary);
            await writeFile(Path.Combine(temporary, Marker), "Rendered by Trellis; the next render into this folder replaces it as a whole.\n", cancellationToken).ConfigureAwait(false);
            foreach (var file in files)
            {
                var path = Path.GetFullPath(Path.Combine(temporary, file.Path));
                if (!path.StartsWith(temporary + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"The rendered path '{file.Path}' leaves the output folder.");
                }

                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                await writeFile(path, file.Content, cancellationToken).ConfigureAwait(false);
            }

            cancellationToken.ThrowIfCancellationRequested();
            Replace(full, temporary, Path.Combine(parent, $".{name}.trellis-old-{Guid.NewGuid():N}"));
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }

        return [];
    }

    private static void Replace(string target, string replacement, string previous)
    {
        if (!Directory.Exists(target))
        {
            Directory.Move(replacement, target);
            return;
        }

        Directory.Move(target, previous);
        try
        {
            Directory.Move(replacement, target);
        }
        catch
        {
            Directory.Move(previous, target);
            throw;
        }

        TryDelete(previous);
    }

    private static void TryDelete(string folder)
    {
        try
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left behind under a dot name beside the target; it never replaces anything.
        }
    }
}
