using System.Text.Json;
using Trellis.Cli.Tests.Infrastructure;

namespace Trellis.Cli.Tests;

/// <summary>Issue 9 items 5–7: filters that filter, empty values refused, and a clear message and exit code for every failure.</summary>
public sealed class CommandLineSafetyTests
{
    private static async Task<Workspace> Applied(string spec)
    {
        var ws = new Workspace();
        var r = await ws.RunIn("apply", "-f", spec);
        Assert.True(r.ExitCode == 0, r.ToString());
        return ws;
    }

    private static IReadOnlyList<string> Column(CliResult r, string property) =>
        Json.Parse(r).EnumerateArray().Select(e => e.GetProperty(property).GetString()!).Distinct().Order(StringComparer.Ordinal).ToList();

    [Fact]
    public async Task Get_WithCluster_FiltersServicesNodePoolsClustersAndPools()
    {
        using var ws = await Applied(Specs.Contoso);
        var all = await ws.RunIn("get", "clusters", "-o", "json");
        Assert.True(Column(all, "name").Count > 1, all.ToString());

        Assert.Equal(["payments"], Column(await ws.RunIn("get", "clusters", "--cluster", "payments", "-o", "json"), "name"));
        Assert.Equal(["payments"], Column(await ws.RunIn("get", "nodepools", "--cluster", "payments", "-o", "json"), "cluster"));
        Assert.Equal(["payments"], Column(await ws.RunIn("get", "services", "--cluster", "payments", "-o", "json"), "cluster"));

        var pools = Column(await ws.RunIn("get", "pools", "--cluster", "payments", "-o", "json"), "pool");
        var allPools = Column(await ws.RunIn("get", "pools", "-o", "json"), "pool");
        Assert.Contains("cluster/payments/pods", pools);
        Assert.DoesNotContain(pools, p => p.StartsWith("cluster/", StringComparison.Ordinal) && !p.StartsWith("cluster/payments/", StringComparison.Ordinal));
        Assert.True(pools.Count < allPools.Count, string.Join(", ", pools));
    }

    [Theory]
    [InlineData("services")]
    [InlineData("nodepools")]
    [InlineData("clusters")]
    [InlineData("pools")]
    [InlineData("allocations")]
    [InlineData("networks")]
    public async Task Get_WithAClusterThatIsNotStored_IsUnknownClusterAndExitsOne(string resource)
    {
        using var ws = await Applied(Specs.WorkedExample);
        var r = await ws.RunIn("get", resource, "--cluster", "nosuch", "-o", "json");
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("UnknownCluster", Json.Codes(Json.Parse(r)));
    }

    [Fact]
    public async Task GetCapacity_WithCluster_IsAUsageError_NotAnIgnoredFilter()
    {
        using var ws = await Applied(Specs.WorkedExample);
        var r = await ws.RunIn("get", "capacity", "--cluster", "a");
        Assert.True(r.ExitCode == 2, r.ToString());
    }

    [Theory]
    [InlineData("render", "all", "-o", "")]
    [InlineData("get", "clusters", "--cluster", "")]
    [InlineData("validate", "-f", "")]
    [InlineData("delete", "cluster", "")]
    [InlineData("netpol", "matrix", "-f", "x.yaml", "--out", " ")]
    [InlineData("netpol", "check", "-f", "x.yaml", "--from", "a/b", "--to", "c/d", "--port", "")]
    public async Task EmptyValue_IsAUsageError(params string[] args)
    {
        using var ws = await Applied(Specs.WorkedExample);
        var r = await ws.RunIn(args);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("empty", r.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(ws.Root, "clusters")));
    }

    [Fact]
    public async Task EmptyStateOption_IsAUsageError()
    {
        using var ws = new Workspace();
        var r = await CliInProcess.RunAsync(["--state", "", "get", "clusters"]);
        Assert.True(r.ExitCode == 2, r.ToString());
    }

    [Fact]
    public async Task EmptyTrellisStateVariable_IsAUsageError()
    {
        using var ws = new Workspace();
        var r = await CliInProcess.RunAsync(["get", "clusters"], CliInProcess.Host with { Environment = name => name == "TRELLIS_STATE" ? "" : null });
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("TRELLIS_STATE", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RenderAll_IntoAFile_IsAFinding_AndTheFileIsUntouched()
    {
        using var ws = await Applied(Specs.WorkedExample);
        var file = ws.WriteText("afile", "mine\n");

        var r = await ws.RunIn("render", "all", "-o", file);

        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("OutputNotADirectory", r.Stdout, StringComparison.Ordinal);
        Assert.Equal("mine\n", File.ReadAllText(file));
    }

    [Fact]
    public async Task Render_IntoAFolderOfOtherFiles_IsRefused_AndDeletesNothing()
    {
        using var ws = await Applied(Specs.WorkedExample);
        var folder = ws.PathOf("etc");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "passwd"), "root\n");

        var r = await ws.RunIn("render", "all", "-o", folder);

        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("OutputNotARenderTree", r.Stdout, StringComparison.Ordinal);
        Assert.Equal(["passwd"], Directory.GetFileSystemEntries(folder).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Render_BelowAFile_ExitsThreeWithAFileSystemError()
    {
        using var ws = await Applied(Specs.WorkedExample);
        var file = ws.WriteText("afile", "mine\n");

        var r = await ws.RunIn("render", "all", "-o", Path.Combine(file, "out"));

        Assert.True(r.ExitCode == 3, r.ToString());
        Assert.Contains("trellis: file system error", r.Stderr, StringComparison.Ordinal);
        AssertNoStackTrace(r);
    }

    [Fact]
    public async Task Render_WhenTheDiskIsFull_ExitsThree_AndLeavesThePreviousTree()
    {
        using var ws = await Applied(Specs.WorkedExample);
        var output = ws.PathOf("out");
        Assert.Equal(0, (await ws.RunIn("render", "all", "-o", output)).ExitCode);
        var before = Tree(output);

        var written = 0;
        var full = CliInProcess.Host with
        {
            WriteFile = async (path, content, ct) =>
            {
                if (++written > 3)
                {
                    await File.WriteAllTextAsync(path, "", ct);
                    throw new IOException("No space left on device");
                }

                await File.WriteAllTextAsync(path, content, ct);
            },
        };
        var r = await ws.RunIn(full, "render", "all", "-o", output);

        Assert.True(r.ExitCode == 3, r.ToString());
        Assert.Contains("No space left on device", r.Stderr, StringComparison.Ordinal);
        AssertNoStackTrace(r);
        Assert.Equal(before, Tree(output));
        Assert.Equal(["out"], Directory.GetFileSystemEntries(ws.Root, "*out*").Select(Path.GetFileName));
    }

    [Fact]
    public async Task NetpolOut_IntoAMissingFolder_ExitsThreeWithAFileSystemError()
    {
        using var ws = new Workspace();
        var manifest = ws.WriteText("np.yaml", "apiVersion: v1\nkind: Pod\nmetadata: { name: a, namespace: x, labels: { app: a } }\n");
        var r = await ws.RunIn("netpol", "matrix", "-f", manifest, "--out", ws.PathOf("no/such/folder/m.txt"));
        Assert.True(r.ExitCode == 3, r.ToString());
        Assert.Contains("trellis: file system error", r.Stderr, StringComparison.Ordinal);
        AssertNoStackTrace(r);
    }

    [Theory]
    [InlineData("/dev/zero", "NotARegularFile")]
    [InlineData("/dev/null", "NotARegularFile")]
    [InlineData("/proc/self/mem", "FileUnreadable")]
    public async Task Validate_OfADeviceOrAnUnreadableFile_IsAFinding_ReadNoFurther(string path, string code)
    {
        using var ws = new Workspace();
        var r = await ws.RunIn("validate", "-f", path, "-o", "json");
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains(code, Json.Codes(Json.Parse(r)));
    }

    [Fact]
    public async Task SpecOrManifest_ThatIsAFifo_IsRefused_NotAHang()
    {
        using var ws = new Workspace();
        var fifo = ws.PathOf("pipe.yaml");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [fifo]))
        {
            await mkfifo.WaitForExitAsync();
            Assert.Equal(0, mkfifo.ExitCode);
        }


        var validate = await CliInProcess.RunAsync(["validate", "-f", fifo, "-o", "json"], timeout: TimeSpan.FromSeconds(20));
        Assert.Contains("NotARegularFile", Json.Codes(Json.Parse(validate)));
        var lint = await CliInProcess.RunAsync(["netpol", "lint", "-f", fifo, "-o", "json"], timeout: TimeSpan.FromSeconds(20));
        Assert.True(lint.ExitCode == 1, lint.ToString());
        Assert.Contains("NotARegularFile", Json.Codes(Json.Parse(lint)));
    }

    [Fact]
    public async Task Manifest_ThatCannotBeRead_IsAFinding()
    {
        using var ws = new Workspace();
        var r = await ws.RunIn("netpol", "lint", "-f", "/proc/self/mem", "-o", "json");
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("FileUnreadable", Json.Codes(Json.Parse(r)));
    }

    [Fact]
    public async Task CorruptJsonInTheState_IsAStoreError_ExitThree()
    {
        using var ws = await Applied(Specs.WorkedExample);
        using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={ws.State};Pooling=False"))
        {
            db.Open();
            using var command = db.CreateCommand();
            command.CommandText = "UPDATE kv SET value = X'7B7B' WHERE key = (SELECT min(key) FROM kv WHERE key LIKE 'alloc/%');";
            Assert.Equal(1, command.ExecuteNonQuery());
        }

        foreach (var args in new[] { new[] { "get", "allocations" }, ["render", "all"], ["capacity"], ["apply", "-f", Specs.WorkedExample] })
        {
            var r = await ws.RunIn(args);
            Assert.True(r.ExitCode == 3, r.ToString());
            Assert.Contains("store error", r.Stderr, StringComparison.Ordinal);
            Assert.Contains("damaged", r.Stderr, StringComparison.Ordinal);
            AssertNoStackTrace(r);
        }
    }

    [Fact]
    public async Task StoredSpecBreakingANewerRule_GetClustersShowsThemWithAWarningOnStderr_AndUpgradeRuns()
    {
        using var ws = await Applied(Specs.WorkedExample);
        // A rule added after the apply: written past the Engine, a VM size that today's name rule refuses.
        using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={ws.State};Pooling=False"))
        {
            db.Open();
            using var command = db.CreateCommand();
            command.CommandText = "UPDATE kv SET value = CAST(replace(CAST(value AS TEXT), '\"controlPlaneVmSize\":\"Standard_A4_V2\"', '\"controlPlaneVmSize\":\"Standard A4 V2\"') AS BLOB) WHERE key = 'site/spec';";
            Assert.Equal(1, command.ExecuteNonQuery());
        }

        var get = await ws.RunIn("get", "clusters", "-o", "json");
        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Equal(["a", "b"], Column(get, "name"));
        Assert.Contains("warning InvalidName at spec.clusters[0].controlPlaneVmSize", get.Stderr, StringComparison.Ordinal);

        var upgrade = await ws.RunIn("upgrade", "--cluster", "b", "--version", "v1.30.0");
        Assert.True(upgrade.ExitCode == 0, upgrade.ToString());
        AssertNoStackTrace(upgrade);
    }

    [Fact]
    public async Task AnUnexpectedException_IsAnInternalErrorToReport_ExitThree_WithoutAStackTrace()
    {
        using var ws = await Applied(Specs.WorkedExample);
        var broken = CliInProcess.Wrapping(_ => throw new InvalidOperationException("the bug"));

        var r = await ws.RunIn(broken, "get", "clusters");

        Assert.True(r.ExitCode == 3, r.ToString());
        Assert.Equal("trellis: internal error, please report it: the bug", r.Stderr.Trim());
        AssertNoStackTrace(r);
    }

    internal static void AssertNoStackTrace(CliResult r)
    {
        foreach (var text in new[] { r.Stdout, r.Stderr })
        {
            Assert.False(text.Contains("   at ", StringComparison.Ordinal), "a stack frame reached the terminal: " + r);
            Assert.False(System.Text.RegularExpressions.Regex.IsMatch(text, @"\b[A-Z][A-Za-z]*Exception\b"), "an exception type reached the terminal: " + r);
            Assert.False(text.Contains("Unhandled exception", StringComparison.OrdinalIgnoreCase), r.ToString());
        }
    }

    private static Dictionary<string, string> Tree(string root) =>
        Directory.GetFiles(root, "*", SearchOption.AllDirectories).ToDictionary(f => Path.GetRelativePath(root, f), File.ReadAllText, StringComparer.Ordinal);
}
