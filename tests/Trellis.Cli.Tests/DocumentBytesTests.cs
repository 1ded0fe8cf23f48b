using System.Text;
using Trellis.Cli.Tests.Infrastructure;

namespace Trellis.Cli.Tests;

/// <summary>
/// The process writes JSON documents to standard output's byte stream as UTF-8 (<see cref="CliHost.Utf8Stdout"/>), without
/// the text writer; in-process runs write them through the text writer. Both must give the same bytes for every kind of
/// document, also with text beyond ASCII, control characters and characters outside the BMP in it.
/// </summary>
public sealed class DocumentBytesTests
{
    private static async Task<CliResult> Run(string state, string[] args, MemoryStream? bytes) =>
        await CliInProcess.RunAsync(["--state", state, .. args], bytes is null ? null : CliInProcess.Host with { Utf8Stdout = bytes });

    /// <summary>Runs the command both ways on the same state: the stream gets exactly what the writer got, and the writer nothing.</summary>
    private static async Task AssertSameBytes(string state, params string[] args)
    {
        var text = await Run(state, args, null);
        using var bytes = new MemoryStream();
        var streamed = await Run(state, args, bytes);

        Assert.True(text.Stdout.Length > 0, text.ToString());
        Assert.True(text.ExitCode == streamed.ExitCode, $"{text}\n---\n{streamed}");
        Assert.Equal(text.Stderr, streamed.Stderr);
        Assert.True(streamed.Stdout.Length == 0, $"the text writer got output besides the stream: {streamed}");
        Assert.Equal(Encoding.UTF8.GetBytes(text.Stdout), bytes.ToArray());
    }

    [Fact]
    public async Task EveryKindOfJsonDocument_StreamedAsUtf8_IsByteForByteWhatTheTextWriterGets()
    {
        using var ws = new Workspace();
        using var other = new Workspace();
        var shop = Specs.Example(Path.Combine("manifests", "shop.yaml"));

        // ApplyOutput, applied on two fresh states: the one change written each way.
        var applied = await Run(ws.State, ["apply", "-f", Specs.WorkedExample, "-o", "json"], null);
        using var appliedBytes = new MemoryStream();
        var appliedStreamed = await Run(other.State, ["apply", "-f", Specs.WorkedExample, "-o", "json"], appliedBytes);
        Assert.True(applied.ExitCode == 0 && appliedStreamed.ExitCode == 0, $"{applied}\n---\n{appliedStreamed}");
        Assert.Equal(Encoding.UTF8.GetBytes(applied.Stdout), appliedBytes.ToArray());
        Assert.Equal("", appliedStreamed.Stdout);

        foreach (var resource in new[] { "networks", "clusters", "nodepools", "pools", "allocations", "services", "capacity", "audit" })
        {
            await AssertSameBytes(ws.State, "get", resource, "-o", "json");
        }

        await AssertSameBytes(ws.State, "get", "allocations", "--cluster", "no-such-cluster", "-o", "json");
        await AssertSameBytes(ws.State, "apply", "-f", Specs.WorkedExample, "--dry-run", "-o", "json");
        await AssertSameBytes(ws.State, "capacity", "-f", Specs.WorkedExample, "-o", "json");
        await AssertSameBytes(ws.State, "capacity", "-f", Specs.WorkedExample, "--what-if", "add-nodepool cluster=b name=win osType=Windows count=10", "-o", "json");
        await AssertSameBytes(ws.State, "netpol", "check", "-f", shop, "--site", Specs.Contoso, "--cluster", "payments",
            "--from", "shop/web", "--to", "shop/db", "--port", "tcp/5432", "-o", "json");
        await AssertSameBytes(ws.State, "netpol", "lint", "-f", shop, "-o", "json");
        await AssertSameBytes(ws.State, "trace", "-f", shop, "--site", Specs.Contoso, "--cluster", "payments",
            "--from", "shop/web", "--to", "shop/db", "--port", "tcp/5432", "-o", "json");

        // Findings that echo odd field names: non-ASCII, a character outside the BMP, a line separator, control characters, quotes.
        var odd = Specs.Edit(Specs.Read(Specs.WorkedExample), "kind: Site\n",
            "kind: Site\n\"x\\U0001F600y\": 1\n\"tab\\there\": 2\n\"ctl\\x01x\": 3\n\"quote'\\\"and\\\\\": 4\n\"line\\u2028sep\": 5\n\"grüße\": 6\n");
        await AssertSameBytes(ws.State, "validate", "-f", ws.WriteText("odd-keys.yaml", odd), "-o", "json");
    }

    [Fact]
    public async Task YamlAndTables_StillGoThroughTheTextWriter_NotTheStream()
    {
        using var ws = new Workspace();
        Assert.Equal(0, (await ws.RunIn("apply", "-f", Specs.WorkedExample)).ExitCode);

        foreach (var format in new[] { "yaml", "table" })
        {
            using var bytes = new MemoryStream();
            var r = await Run(ws.State, ["get", "allocations", "-o", format], bytes);
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Contains("cluster/a/api-server", r.Stdout, StringComparison.Ordinal);
            Assert.Equal(0, bytes.Length);
        }
    }
}
