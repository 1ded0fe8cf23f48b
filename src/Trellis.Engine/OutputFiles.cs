using System.Text;

namespace Trellis.Engine;

/// <summary>Writes one output file atomically: a temporary file beside it, then a rename, so a failure never leaves half a file.</summary>
public static class OutputFiles
{
    /// <exception cref="IOException">The file could not be written; the previous file, if any, is unchanged.</exception>
    /// <exception cref="UnauthorizedAccessException">No permission to write there; nothing was changed.</exception>
    public static Task WriteAsync(string path, string text, CancellationToken cancellationToken = default) =>
        WriteAsync(path, writer => writer.WriteAsync(text.AsMemory(), cancellationToken), cancellationToken);

    /// <summary>Writes what <paramref name="write"/> writes, as it writes it (for output too large to hold), atomically as above.</summary>
    /// <exception cref="IOException">The file could not be written; the previous file, if any, is unchanged.</exception>
    /// <exception cref="UnauthorizedAccessException">No permission to write there; nothing was changed.</exception>
    public static async Task WriteAsync(string path, Func<TextWriter, Task> write, CancellationToken cancellationToken = default)
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
            await WriteFileAsync(full, write, FileMode.Open).ConfigureAwait(false);
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
            await WriteFileAsync(temporary, write, FileMode.CreateNew).ConfigureAwait(false);
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

    private static async Task WriteFileAsync(string path, Func<TextWriter, Task> write, FileMode mode)
    {
        var stream = new FileStream(path, mode, FileAccess.Write, FileShare.Read);
        await using (stream.ConfigureAwait(false))
        {
            var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16);
            await using (writer.ConfigureAwait(false))
            {
                await write(writer).ConfigureAwait(false);
            }
        }
    }
}
