using System.Text;

namespace Trellis.Engine;

/// <summary>Writes one output file atomically: a temporary file beside it, then a rename, so a failure never leaves half a file.</summary>
public static class OutputFiles
{
    /// <exception cref="IOException">The file could not be written; the previous file, if any, is unchanged.</exception>
    /// <exception cref="UnauthorizedAccessException">No permission to write there; nothing was changed.</exception>
    public static async Task WriteAsync(string path, string text, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            throw new IOException($"'{path}' is a folder; give the path of a file to write.");
        }

        if (File.Exists(full) && InputFiles.FileType(full) is { } type and not "regular file")
        {
            // A device or a pipe (/dev/stdout, /dev/null, a FIFO) is written as it is: renaming a file onto it would replace it.
            await File.WriteAllTextAsync(full, text, new UTF8Encoding(false), cancellationToken).ConfigureAwait(false);
            return;
        }

        // A link is followed, so the file it points to is replaced and the link stays.
        full = File.Exists(full) ? File.ResolveLinkTarget(full, returnFinalTarget: true)?.FullName ?? full : full;
        if (!Directory.Exists(Path.GetDirectoryName(full)))
        {
            throw new DirectoryNotFoundException($"The folder of '{path}' does not exist.");
        }

        var temporary = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.trellis-new-{Guid.NewGuid():N}");
        try
        {
            await File.WriteAllTextAsync(temporary, text, new UTF8Encoding(false), cancellationToken).ConfigureAwait(false);
            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            try
            {
                File.Delete(temporary);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Left under a dot name beside the target; it never replaces anything.
            }

            throw;
        }
    }
}
