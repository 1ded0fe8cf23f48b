using System.Diagnostics;

namespace Trellis.PowerShell.Tests;

/// <summary>
/// A real pwsh 7.6.10 (the .NET tool test.sh installs in .tools/) running a script with the laid-out module folder
/// (bin/…/module/Trellis, Engine and packages in deps/) on PSModulePath, as a user's Import-Module Trellis finds it.
/// </summary>
public static class Pwsh
{
    public static string Root
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Trellis.slnx")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new InvalidOperationException("Trellis.slnx not found above " + AppContext.BaseDirectory);
        }
    }

    public static string Executable => Path.Combine(Root, ".tools", "pwsh");

    /// <summary>The module folder the build lays out: the folder that holds Trellis/.</summary>
    public static string ModuleFolder => Path.Combine(Root, "src", "Trellis.PowerShell", "bin", "Release", "net10.0", "module");

    public static (int ExitCode, string Output, string Error) Run(string scriptFile, string workingDirectory, params string[] arguments)
    {
        Assert.True(File.Exists(Executable),
            $"pwsh 7.6.10 is not installed at {Executable}; ./test.sh installs it (dotnet tool install PowerShell --version 7.6.10 --tool-path .tools).");
        Assert.True(File.Exists(Path.Combine(ModuleFolder, "Trellis", "Trellis.psd1")), $"the module is not laid out under {ModuleFolder}; build the solution first.");

        var start = new ProcessStartInfo(Executable) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])["-NoProfile", "-NonInteractive", "-File", scriptFile, .. arguments])
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["PSModulePath"] = ModuleFolder;
        start.Environment.Remove("TRELLIS_STATE");
        start.Environment["POWERSHELL_TELEMETRY_OPTOUT"] = "1";
        start.Environment["POWERSHELL_UPDATECHECK"] = "Off";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"pwsh did not finish {scriptFile} in 2 minutes; output so far:\n{output.Result}\n{error.Result}");
        }

        return (process.ExitCode, output.Result, error.Result);
    }
}
