namespace Trellis.Cli.Tests.Infrastructure;

/// <summary>
/// The native AOT <c>trellis</c> that <c>./trellis</c> publishes (artifacts/trellis/trellis; test.sh runs
/// <c>./trellis --version</c> before the tests), when it is there and at least as new as every source file.
/// </summary>
internal static class NativeCli
{
    private static readonly Lazy<(string? Path, string Problem)> Found = new(Find);

    /// <summary>The binary's path, or null when there is none to trust; <see cref="Problem"/> then says why.</summary>
    public static string? Path => Found.Value.Path;

    public static string Problem => Found.Value.Problem;

    private static (string? Path, string Problem) Find()
    {
        var root = Directory.GetParent(Specs.ExamplesDirectory)!.FullName;
        var folder = System.IO.Path.Combine(root, "artifacts", "trellis");
        var binary = System.IO.Path.Combine(folder, "trellis");
        if (!File.Exists(binary) || File.Exists(System.IO.Path.Combine(folder, "trellis.dll")))
        {
            return (null, $"No native trellis binary at {binary}: run ./trellis --version once (test.sh does) with clang and zlib1g-dev installed.");
        }

        // A binary older than the sources would test yesterday's CLI. The sources are what ./trellis counts: every file
        // under src/ but what builds write (bin/, obj/); the stamp is the time its publish started.
        var separator = System.IO.Path.DirectorySeparatorChar;
        var newest = Directory.EnumerateFiles(System.IO.Path.Combine(root, "src"), "*", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{separator}obj{separator}", StringComparison.Ordinal) && !f.Contains($"{separator}bin{separator}", StringComparison.Ordinal))
            .Max(File.GetLastWriteTimeUtc);
        var stamp = System.IO.Path.Combine(folder, ".built");
        if (!File.Exists(stamp) || File.GetLastWriteTimeUtc(stamp) < newest)
        {
            return (null, $"The native trellis binary at {binary} is older than the sources: run ./trellis --version to rebuild it.");
        }

        return (binary, "");
    }
}
