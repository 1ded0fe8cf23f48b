using System.Runtime.InteropServices;
using System.Text;
using Trellis.Core.Validation;
using Trellis.Engine.Contracts;
using Finding = Trellis.Core.Validation.Finding;

namespace Trellis.Engine;

/// <summary>The text of an input file, or the finding that says why it cannot be read.</summary>
internal sealed record InputText(string? Text, Finding? Problem);

/// <summary>
/// Reads input files (site specs, manifests) as every front end must: only regular files (a FIFO would block and a device
/// never ends), at most a given size, and every failure a finding instead of an exception.
/// </summary>
public static class InputFiles
{
    /// <summary>Manifests larger than this are refused, like specs larger than the spec limit.</summary>
    public const int MaxManifestBytes = 16 * 1024 * 1024;

    /// <summary>Reads <paramref name="path"/> as UTF-8 text of at most <paramref name="maxBytes"/> bytes; <paramref name="field"/> names it in findings.</summary>
    internal static InputText Read(string path, string field, int maxBytes)
    {
        if (!File.Exists(path))
        {
            return Directory.Exists(path)
                ? Fail(Finding.Error("NotARegularFile", field, $"'{path}' is a folder, not a file.", "Give the path of a file."))
                : Fail(Finding.Error("FileNotFound", field, $"No file '{path}'.", "Give the path of an existing file, e.g. examples/worked-example.yaml."));
        }

        if (FileType(path) is { } type and not "regular file")
        {
            return Fail(Finding.Error("NotARegularFile", field, $"'{path}' is a {type}, not a regular file; Trellis reads only regular files.",
                "Save the input to a file and give its path."));
        }

        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 64 * 1024);
            using var text = new MemoryStream();
            var buffer = new byte[64 * 1024];
            int read;
            while ((read = stream.Read(buffer)) > 0)
            {
                if (text.Length + read > maxBytes)
                {
                    return Fail(Finding.Error("FileTooLarge", field, $"'{path}' is larger than {maxBytes:N0} bytes.", "Split it into smaller files."));
                }

                text.Write(buffer, 0, read);
            }

            // As File.ReadAllText: UTF-8 unless a byte order mark says otherwise.
            using var reader = new StreamReader(new MemoryStream(text.GetBuffer(), 0, (int)text.Length), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
            return new InputText(reader.ReadToEnd(), null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail(Finding.Error("FileUnreadable", field, $"'{path}' cannot be read: {e.Message}", "Check the file's permissions, or copy it somewhere readable."));
        }
    }

    /// <summary>As <see cref="Read"/>, with the problem as front ends receive findings.</summary>
    public static (string? Text, Contracts.Finding? Problem) ReadText(string path, string field, int maxBytes) =>
        Read(path, field, maxBytes) is var read ? (read.Text, read.Problem?.ToContract()) : default;

    private static InputText Fail(Finding finding) => new(null, finding);

    /// <summary>What kind of file system object <paramref name="path"/> is (following links), or null when that cannot be told here.</summary>
    public static string? FileType(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return null;
        }

        try
        {
            // The runtime's own stat shim: its status record starts with flags and the mode, in the same layout on every Unix.
            var status = new byte[512];
            if (NativeMethods.Stat(path, status) != 0)
            {
                return null;
            }

            return (BitConverter.ToInt32(status, 4) & 0xF000) switch
            {
                0x8000 => "regular file",
                0x4000 => "folder",
                0x1000 => "named pipe (FIFO)",
                0x2000 => "character device",
                0x6000 => "block device",
                0xC000 => "socket",
                _ => "special file",
            };
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    private static class NativeMethods
    {
        [DllImport("libSystem.Native", EntryPoint = "SystemNative_Stat", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Stat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, [Out] byte[] status);
    }
}
