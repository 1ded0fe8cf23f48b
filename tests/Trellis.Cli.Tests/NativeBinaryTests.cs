using Trellis.Cli.Tests.Infrastructure;

namespace Trellis.Cli.Tests;

/// <summary>
/// The CLI that <c>./trellis</c> runs is a native AOT binary (artifacts/trellis/trellis, built by test.sh through
/// <c>./trellis --version</c>). Trimming and ahead-of-time compilation must not change a single byte of what a
/// command prints or writes: the native binary and the managed <c>trellis.dll</c> run the same commands side by side.
/// </summary>
public sealed class NativeBinaryTests
{
    private static readonly string Native = NativeCli.Path ?? throw new InvalidOperationException(NativeCli.Problem);

    private static async Task<(CliResult Native, CliResult Managed)> Both(Workspace ws, params string[] args)
    {
        var native = await CliProcess.RunAsync(ws.Root, ["--state", ws.PathOf("native.db"), .. args.Select(a => a.Replace("{out}", "native-out", StringComparison.Ordinal))], program: Native);
        var managed = await CliProcess.RunAsync(ws.Root, ["--state", ws.PathOf("managed.db"), .. args.Select(a => a.Replace("{out}", "managed-out", StringComparison.Ordinal))]);
        return (native, managed);
    }

    private static async Task AssertSame(Workspace ws, params string[] args)
    {
        var (native, managed) = await Both(ws, args);
        Assert.True(native.ExitCode == managed.ExitCode, $"{native}\n---\n{managed}");
        // Output paths are the one intended difference.
        Assert.Equal(managed.Stdout, native.Stdout.Replace("native-out", "managed-out", StringComparison.Ordinal));
        Assert.Equal(managed.Stderr, native.Stderr.Replace("native-out", "managed-out", StringComparison.Ordinal));
    }

    [Fact]
    public async Task EveryKindOfCommand_PrintsAndWritesTheSameAsTheManagedCli()
    {
        using var ws = new Workspace();

        await AssertSame(ws, "apply", "-f", Specs.Contoso, "-o", "json");
        await AssertSame(ws, "get", "allocations", "-o", "json");
        await AssertSame(ws, "get", "clusters");
        await AssertSame(ws, "get", "services", "-o", "yaml");
        await AssertSame(ws, "capacity", "-f", Specs.WorkedExample, "--what-if", "add-nodepool cluster=b name=win osType=Windows count=10", "-o", "json");
        await AssertSame(ws, "scale", "--cluster", "payments", "--nodepool", "linuxpool", "--count", "5", "-o", "json");
        await AssertSame(ws, "policy", "apply", "-f", Specs.Example(Path.Combine("governance", "policies.yaml")), "-o", "json");
        await AssertSame(ws, "policy", "compliance", "-o", "json");
        await AssertSame(ws, "policy", "get", "-o", "yaml");
        await AssertSame(ws, "validate", "-f", Specs.Example("dhcp-site.yaml"), "-o", "json");
        await AssertSame(ws, "validate", "-f", ws.WriteText("bad.yaml", "apiVersion: trellis/v1\nkind: Site\nspec: { model: Nope }\n"), "-o", "json");
        await AssertSame(ws, "netpol", "matrix", "-f", Specs.Example(Path.Combine("manifests", "shop.yaml")));
        await AssertSame(ws, "netpol", "matrix", "-f", Specs.Example(Path.Combine("manifests", "shop.yaml")), "-o", "html", "--out", "{out}.html");
        Assert.Equal(File.ReadAllText(ws.PathOf("managed-out.html")), File.ReadAllText(ws.PathOf("native-out.html")));
        await AssertSame(ws, "netpol", "lint", "-f", Specs.Example(Path.Combine("manifests", "shop.yaml")), "-o", "json");
        await AssertSame(ws, "trace", "-f", Specs.Example(Path.Combine("manifests", "shop.yaml")), "--site", Specs.Contoso, "--cluster", "payments",
            "--from", "shop/web", "--to", "shop/db", "--port", "tcp/5432");
        await AssertSame(ws, "render", "all", "-o", "{out}");

        var nativeFiles = Files(ws.PathOf("native-out"));
        Assert.NotEmpty(nativeFiles);
        Assert.Equal(Files(ws.PathOf("managed-out")).Keys, nativeFiles.Keys);
        foreach (var (name, text) in Files(ws.PathOf("managed-out")))
        {
            Assert.True(text == nativeFiles[name], $"{name} differs between the native and the managed CLI");
        }
    }

    private static SortedDictionary<string, string> Files(string dir) =>
        new(Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).ToDictionary(f => Path.GetRelativePath(dir, f), File.ReadAllText), StringComparer.Ordinal);
}
