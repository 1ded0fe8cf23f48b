using System.Text;
using Trellis.Cli.Tests.Infrastructure;

namespace Trellis.Cli.Tests;

/// <summary>
/// Issue 9 item 7: every command, with hostile values generated into each of its arguments in turn, ends with a documented
/// exit code and a message, never a .NET stack trace, an exception type name, an internal error or a hang.
/// </summary>
public sealed class HostileArgumentTests
{
    private const string Slot = "\u0001SLOT\u0001";

    /// <summary>Values a careless or hostile user types: empty, blank, huge, control characters, paths to devices, markup, numbers out of range.</summary>
    private static IEnumerable<string> HostileValues(string workspace, string fifo)
    {
        yield return "";
        yield return " ";
        yield return "\t\n";
        yield return new string('a', 70_000);
        yield return "a\0b";
        yield return "\u0007\u001b[31mred";
        yield return "line\u2028separator\u2029";
        yield return "\u202Eevil\u202C";
        yield return "🙂/漢字";
        yield return "../../../../../../etc/passwd";
        yield return "/dev/zero";
        yield return "/dev/null";
        yield return "/proc/self/mem";
        yield return fifo;
        yield return workspace;
        yield return "-";
        yield return "--";
        yield return "-o";
        yield return "99999999999999999999";
        yield return "-5";
        yield return "0";
        yield return "NaN";
        yield return "{0}{1}%s%n";
        yield return "[red]x[/] [/]";
        yield return "---\nkind: ClusterRoleBinding";
        yield return "x' ; $(id) `id` \"q\"";
        yield return "a/b/c/d/e";
        yield return "a=b=c cluster=";
    }

    /// <summary>Every command with one argument position to fill; the other arguments are valid.</summary>
    private static IEnumerable<string[]> Templates(string manifest, string workspace)
    {
        string[][] templates =
        [
            ["validate", "-f", Slot],
            ["apply", "-f", Slot, "--dry-run"],
            ["capacity", "-f", Slot],
            ["capacity", "--what-if", Slot],
            ["capacity", "--what-if", $"add-nodepool cluster=b name={Slot} count=1"],
            ["capacity", "--what-if", $"add-nodepool cluster=b name=x count={Slot}"],
            ["capacity", "--what-if", $"add-cluster name={Slot} workers=1"],
            ["get", Slot],
            ["get", "clusters", "--cluster", Slot],
            ["get", "allocations", "-o", Slot],
            ["scale", "--cluster", Slot, "--nodepool", "linuxpool", "--count", "3", "--dry-run"],
            ["scale", "--cluster", "a", "--nodepool", "linuxpool", "--count", Slot, "--dry-run"],
            ["scale", "--load-balancer", Slot, "--count", "2", "--dry-run"],
            ["add", "nodepool", "--cluster", "a", "--name", Slot, "--dry-run"],
            ["add", "service", "--cluster", "a", "--name", Slot, "--port", "443", "--dry-run"],
            ["add", "service", "--cluster", "a", "--name", "x", "--port", Slot, "--dry-run"],
            ["upgrade", "--cluster", "a", "--version", Slot, "--dry-run"],
            ["delete", "cluster", Slot, "--dry-run"],
            ["delete", "nodepool", Slot],
            ["delete", "service", Slot, "--dry-run"],
            ["delete", "site", Slot],
            ["render", Slot],
            ["render", "all", "--cluster", Slot],
            ["render", "haproxy", "--node", Slot],
            ["render", "all", "-o", Path.Combine(workspace, "out", Slot)],
            ["netpol", "matrix", "-f", manifest, "--out", Path.Combine(workspace, "matrix", Slot)],
            ["netpol", "lint", "-f", Slot],
            ["netpol", "check", "-f", manifest, "--from", Slot, "--to", "x/b", "--port", "tcp/80"],
            ["netpol", "check", "-f", manifest, "--from", "x/a", "--to", "x/b", "--port", Slot],
            ["netpol", "matrix", "-f", manifest, "-o", Slot],
            ["netpol", "diff", Slot, manifest],
            ["trace", "-f", manifest, "--from", "x/a", "--to", Slot, "--port", "tcp/80", "--cluster", "a"],
            ["--state", Slot, "get", "clusters"],
            [Slot],
        ];
        return templates;
    }

    [Fact]
    public async Task EveryCommand_WithHostileArguments_EndsWithADocumentedExitCode_AndNoStackTrace()
    {
        using var ws = new Workspace();
        var apply = await ws.RunIn("apply", "-f", Specs.WorkedExample);
        Assert.True(apply.ExitCode == 0, apply.ToString());
        var manifest = ws.WriteText("pods.yaml", "apiVersion: v1\nkind: Pod\nmetadata: { name: a, namespace: x, labels: { app: a } }\n---\napiVersion: v1\nkind: Pod\nmetadata: { name: b, namespace: x, labels: { app: b } }\n");
        var fifo = ws.PathOf("pipe");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [fifo]))
        {
            await mkfifo.WaitForExitAsync();
        }

        var failures = new StringBuilder();
        var runs = 0;
        foreach (var template in Templates(manifest, ws.Root))
        {
            foreach (var value in HostileValues(ws.Root, fifo))
            {
                var filled = template.Select(a => a.Replace(Slot, value, StringComparison.Ordinal)).ToArray();
                if (Writes(template) && !InsideWorkspace(filled, ws.Root))
                {
                    // Output paths are hostile only inside the workspace: a test never writes anywhere else.
                    continue;
                }

                string[] args = template[0] == "--state" ? filled : ["--state", ws.State, .. filled];
                var r = await CliInProcess.RunAsync(args, timeout: TimeSpan.FromSeconds(30));
                runs++;
                var problem = Problem(r);
                if (problem is not null)
                {
                    failures.AppendLine($"{problem}: trellis {Show(args)} → exit {r.ExitCode}\n  stderr: {Cut(r.Stderr)}\n  stdout: {Cut(r.Stdout)}");
                }
            }
        }

        Assert.True(failures.Length == 0, $"{runs} runs; these broke the rules:\n{failures}");
        Assert.True(runs > 500, $"only {runs} runs");
    }

    /// <summary>The same rules for the real process, where the top-level guard and Program's own handling are on the path.</summary>
    [Theory]
    [InlineData("validate", "-f", "/dev/zero")]
    [InlineData("--state", "/dev/zero", "get", "clusters")]
    [InlineData("--state", "", "get", "clusters")]
    [InlineData("render", "all", "-o", "/proc/self/mem")]
    public async Task TheProcess_WithHostileArguments_EndsWithADocumentedExitCode_AndNoStackTrace(params string[] args)
    {
        using var ws = new Workspace();
        var r = await CliProcess.RunAsync(ws.Root, args);
        Assert.True(Problem(r) is null, $"{Problem(r)}: {r}");
    }

    private static bool Writes(string[] template) => template.Contains("--out") || (template[0] == "render" && template.Contains("-o"));

    private static bool InsideWorkspace(string[] args, string root)
    {
        var path = args[Array.FindIndex(args, a => a is "--out" or "-o") + 1];
        try
        {
            return !path.Contains('\0', StringComparison.Ordinal) && Path.GetFullPath(path).StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal);
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static string? Problem(CliResult r)
    {
        if (r.ExitCode is not (0 or 1 or 2 or 3))
        {
            return $"exit code {r.ExitCode} is not documented";
        }

        foreach (var text in new[] { r.Stdout, r.Stderr })
        {
            if (text.Contains("   at ", StringComparison.Ordinal) || text.Contains("--- End of", StringComparison.Ordinal))
            {
                return "a stack trace";
            }

            if (System.Text.RegularExpressions.Regex.IsMatch(text, @"\b(System\.)?[A-Z][A-Za-z]*Exception\b"))
            {
                return "an exception type name";
            }
        }

        if (r.Stderr.Contains("internal error", StringComparison.Ordinal))
        {
            return "an internal error (a bug)";
        }

        if (r.ExitCode != 0 && r.Stdout.Length + r.Stderr.Length == 0)
        {
            return "a failure without a message";
        }

        return null;
    }

    private static string Show(IEnumerable<string> args) =>
        string.Join(' ', args.Select(a => a.Length > 60 ? $"'{a[..20]}…({a.Length} chars)'" : $"'{a.Replace("\0", "\\0", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)}'"));

    private static string Cut(string s) => s.Length <= 400 ? s : s[..400] + "…";
}
