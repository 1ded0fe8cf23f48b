using System.Diagnostics;
using Trellis.Cli.Tests.Infrastructure;

namespace Trellis.Cli.Tests;

/// <summary>
/// <c>./trellis</c> publishes the CLI again only when one of the build's real inputs changed: a source file, a project
/// or props file, a packages lock, the script itself. What a build writes under bin/ and obj/ (restore rewrites
/// obj/*.nuget.g.props on every <c>dotnet build</c>) must not make it publish again: a native publish takes minutes.
/// The script runs on a copy of the repository's layout with a stand-in <c>dotnet</c> that records each publish.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class BuildScriptTests : IDisposable
{
    private static readonly string Script = Path.Combine(Directory.GetParent(Specs.ExamplesDirectory)!.FullName, "trellis");

    // Inputs are older than the stamp, which is older than a "touched" file; all in the past, so no clock races.
    private static readonly DateTime Now = TimeProvider.System.GetUtcNow().UtcDateTime;
    private static readonly DateTime Inputs = Now.AddHours(-3);
    private static readonly DateTime Built = Now.AddHours(-2);
    private static readonly DateTime Touched = Now.AddHours(-1);

    private static readonly string[] Files =
    [
        "trellis",
        "Directory.Build.props",
        "Directory.Packages.props",
        "BannedSymbols.txt",
        "global.json",
        "src/Trellis.Cli/Trellis.Cli.csproj",
        "src/Trellis.Cli/Program.cs",
        "src/Trellis.Cli/packages.lock.json",
        "src/Trellis.Core/Planning/Planner.cs",
        "src/Trellis.Core/Trellis.Core.csproj",
        "src/Trellis.Cli/obj/Trellis.Cli.csproj.nuget.g.props",
        "src/Trellis.Cli/obj/project.assets.json",
        "src/Trellis.Cli/obj/Release/net10.0/Trellis.Cli.AssemblyInfo.cs",
        "src/Trellis.Cli/obj/Release/net10.0/linux-x64/Trellis.Cli.GlobalUsings.g.cs",
        "src/Trellis.Core/obj/Trellis.Core.csproj.nuget.g.targets",
        "src/Trellis.Cli/bin/Release/net10.0/trellis.dll",
        "src/Trellis.Core/bin/Release/net10.0/Trellis.Core.deps.json",
    ];

    private readonly string root = Path.Combine(Path.GetTempPath(), $"trellis-build-script-{Guid.NewGuid():N}");

    public BuildScriptTests()
    {
        foreach (var file in Files)
        {
            var path = PathOf(file);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, file == "trellis" ? File.ReadAllText(Script) : "x");
        }

        // A stand-in dotnet: records the publish and leaves a runnable "trellis" in the -o folder. When
        // TOUCH_DURING_PUBLISH names a file, that file is edited while the publish runs.
        var dotnet = PathOf("fake/dotnet");
        Directory.CreateDirectory(Path.GetDirectoryName(dotnet)!);
        File.WriteAllText(dotnet, """
            #!/bin/sh
            echo "$*" >> "$PUBLISH_LOG"
            out=""; prev=""
            for a in "$@"; do if [ "$prev" = "-o" ]; then out="$a"; fi; prev="$a"; done
            mkdir -p "$out"
            printf '#!/bin/sh\necho "stand-in trellis $*"\n' > "$out/trellis"
            chmod +x "$out/trellis"
            if [ -n "$TOUCH_DURING_PUBLISH" ]; then sleep 0.1; touch "$TOUCH_DURING_PUBLISH"; fi
            """.ReplaceLineEndings("\n"));
        File.SetUnixFileMode(dotnet, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private string PathOf(string relative) => Path.Combine(root, relative.Replace('/', Path.DirectorySeparatorChar));

    private string Stamp => PathOf("artifacts/trellis/.built");

    /// <summary>Runs <c>./trellis --version</c> of the copy; true when it published.</summary>
    private bool Run(string? touchDuringPublish = null)
    {
        var log = PathOf("publish.log");
        File.Delete(log);
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(PathOf("trellis"));
        info.ArgumentList.Add("--version");
        info.Environment["PATH"] = PathOf("fake") + ":" + Environment.GetEnvironmentVariable("PATH");
        info.Environment["PUBLISH_LOG"] = log;
        info.Environment["TOUCH_DURING_PUBLISH"] = touchDuringPublish is null ? "" : PathOf(touchDuringPublish);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(60)), "./trellis did not end within 60 s");
        Assert.True(process.ExitCode == 0, $"./trellis exited {process.ExitCode}: {stdout.Result}{stderr.Result}");
        Assert.Equal("stand-in trellis --version\n", stdout.Result);
        return File.Exists(log) && File.ReadAllText(log).Contains("publish", StringComparison.Ordinal);
    }

    /// <summary>A published binary whose stamp is newer than every file of the copy.</summary>
    private void Published()
    {
        Assert.True(Run(), "the first run of ./trellis must publish");
        foreach (var file in Files)
        {
            File.SetLastWriteTimeUtc(PathOf(file), Inputs);
        }

        File.SetLastWriteTimeUtc(Stamp, Built);
    }

    [Fact]
    public void NothingChanged_DoesNotPublishAgain()
    {
        Published();
        Assert.False(Run());
        Assert.False(Run());
    }

    [Theory]
    [InlineData("src/Trellis.Cli/obj/Trellis.Cli.csproj.nuget.g.props")]
    [InlineData("src/Trellis.Cli/obj/project.assets.json")]
    [InlineData("src/Trellis.Cli/obj/Release/net10.0/Trellis.Cli.AssemblyInfo.cs")]
    [InlineData("src/Trellis.Cli/obj/Release/net10.0/linux-x64/Trellis.Cli.GlobalUsings.g.cs")]
    [InlineData("src/Trellis.Core/obj/Trellis.Core.csproj.nuget.g.targets")]
    [InlineData("src/Trellis.Cli/bin/Release/net10.0/trellis.dll")]
    [InlineData("src/Trellis.Core/bin/Release/net10.0/Trellis.Core.deps.json")]
    public void WhatABuildWrites_DoesNotPublishAgain(string written)
    {
        Published();
        File.SetLastWriteTimeUtc(PathOf(written), Touched);
        Assert.False(Run(), $"{written} is written by dotnet build, not an input of the CLI");
    }

    [Theory]
    [InlineData("src/Trellis.Cli/Program.cs")]
    [InlineData("src/Trellis.Core/Planning/Planner.cs")]
    [InlineData("src/Trellis.Cli/Trellis.Cli.csproj")]
    [InlineData("src/Trellis.Core/Trellis.Core.csproj")]
    [InlineData("src/Trellis.Cli/packages.lock.json")]
    [InlineData("Directory.Build.props")]
    [InlineData("Directory.Packages.props")]
    [InlineData("BannedSymbols.txt")]
    [InlineData("global.json")]
    [InlineData("trellis")]
    public void AChangedInput_PublishesAgain_ThenNotAgain(string input)
    {
        Published();
        File.SetLastWriteTimeUtc(PathOf(input), Touched);
        Assert.True(Run(), $"a change of {input} must publish the CLI again");
        Assert.False(Run(), $"after publishing for {input}, nothing changed");
    }

    [Fact]
    public void ANewSourceFile_PublishesAgain()
    {
        Published();
        File.WriteAllText(PathOf("src/Trellis.Core/Planning/New.cs"), "x");
        Assert.True(Run());
    }

    [Fact]
    public void AMissingBinary_PublishesAgain()
    {
        Published();
        File.Delete(PathOf("artifacts/trellis/trellis"));
        Assert.True(Run());
    }

    [Fact]
    public void ASourceEditedWhilePublishing_PublishesAgainOnTheNextRun()
    {
        Published();
        File.SetLastWriteTimeUtc(PathOf("src/Trellis.Cli/Program.cs"), Touched);
        Assert.True(Run(touchDuringPublish: "src/Trellis.Cli/Program.cs"));
        Assert.True(Run(), "the binary was built from the sources as they were when the publish started");
        Assert.False(Run());
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
