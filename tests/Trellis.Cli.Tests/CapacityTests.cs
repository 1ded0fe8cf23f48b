using System.Text.Json;
using Trellis.Cli.Tests.Infrastructure;

namespace Trellis.Cli.Tests;

/// <summary><c>trellis capacity</c>: the documented worked example, a variant of it, and what-if questions.</summary>
public sealed class CapacityTests
{
    [Fact]
    public async Task Worked_example_needs_27_node_addresses_5_vips_32_in_all_a_slash_26()
    {
        using var ws = new Workspace();
        var r = await ws.Run("capacity", "-f", Specs.WorkedExample, "-o", "json");
        Assert.True(r.ExitCode == 0, r.ToString());
        var report = Json.Parse(r);
        Assert.Equal("jane", report.GetProperty("site").GetString());
        AssertPool(report.GetProperty("nodeIpPool"), required: 27, size: 27);
        AssertPool(report.GetProperty("vipPool"), required: 5, size: 5);
        Assert.Equal(32, report.GetProperty("totalRequired").GetInt32());
        Assert.Equal(26, report.GetProperty("recommendedPrefixLength").GetInt32());
    }

    [Fact]
    public async Task Counting_the_management_cluster_vip_needs_one_vip_more()
    {
        using var ws = new Workspace();
        var text = Specs.Read(Specs.WorkedExample);
        text = Specs.Edit(text, "managementClusterVip: false", "managementClusterVip: true");
        text = Specs.Edit(text, "vipPoolEnd: 172.16.0.154", "vipPoolEnd: 172.16.0.155");
        var file = ws.WriteText("with-management-vip.yaml", text);

        var r = await ws.Run("capacity", "-f", file, "-o", "json");
        Assert.True(r.ExitCode == 0, r.ToString());
        var report = Json.Parse(r);
        AssertPool(report.GetProperty("nodeIpPool"), required: 27, size: 27);
        AssertPool(report.GetProperty("vipPool"), required: 6, size: 6);
        Assert.Equal(33, report.GetProperty("totalRequired").GetInt32());
        Assert.Equal(26, report.GetProperty("recommendedPrefixLength").GetInt32());
    }

    [Fact]
    public async Task Ten_windows_nodes_do_not_fit_the_worked_example()
    {
        using var ws = new Workspace();
        var r = await ws.Run("capacity", "-f", Specs.WorkedExample, "--what-if", "add-nodepool cluster=b name=win osType=Windows count=10", "-o", "json");
        Assert.True(r.ExitCode == 0, r.ToString());
        var answer = Json.Parse(r);
        Assert.False(answer.GetProperty("fits").GetBoolean());
        Assert.Equal("add-nodepool cluster=b name=win osType=Windows count=10", answer.GetProperty("question").GetString());
        Assert.Contains("node", answer.GetProperty("firstToRunOut").GetString()!, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_small_change_fits_the_multi_cluster_site()
    {
        using var ws = new Workspace();
        var r = await ws.Run("capacity", "-f", Specs.Contoso,
            "--what-if", "add-service cluster=payments name=extra port=443",
            "--what-if", "scale-nodepool cluster=analytics name=spark count=14", "-o", "json");
        Assert.True(r.ExitCode == 0, r.ToString());
        var answer = Json.Parse(r);
        Assert.True(answer.GetProperty("fits").GetBoolean(), r.ToString());
        var before = answer.GetProperty("before");
        var after = answer.GetProperty("after");
        Assert.Equal(before.GetProperty("vipPool").GetProperty("required").GetInt32() + 1, after.GetProperty("vipPool").GetProperty("required").GetInt32());
        Assert.Equal(before.GetProperty("nodeIpPool").GetProperty("required").GetInt32() + 2, after.GetProperty("nodeIpPool").GetProperty("required").GetInt32());
    }

    [Fact]
    public async Task An_unknown_what_if_is_a_finding_not_a_crash()
    {
        using var ws = new Workspace();
        var r = await ws.Run("capacity", "-f", Specs.WorkedExample, "--what-if", "grow-everything by=10", "-o", "json");
        Assert.True(r.ExitCode == 1, r.ToString());
        EndToEndTests.AssertNoCrash(r);
        Assert.Contains("InvalidWhatIf", Json.Codes(Json.Parse(r)));
    }

    public static TheoryData<string, string, string> NonsenseWhatIfs() => new()
    {
        { "add-nodepool cluster=b name=win count=99999999999", "ValueOutOfRange", "whatIf[0].count" },
        { "add-nodepool cluster=b name=win count=-5", "ValueOutOfRange", "whatIf[0].count" },
        { "add-nodepool cluster=b name=win count=abc", "WrongType", "whatIf[0].count" },
        { "add-nodepool cluster=b name=win cuont=50", "UnknownField", "whatIf[0].cuont" },
        { "add-nodepool cluster=b name=win osType=Windoze", "InvalidValue", "whatIf[0].osType" },
        { "scale-nodepool cluster=b name=linuxpool count=abc", "WrongType", "whatIf[0].count" },
        { "scale-nodepool cluster=b name=linuxpool", "RequiredFieldMissing", "whatIf[0].count" },
        { "scale-nodepool cluster=b name=linuxpool count=4 osType=Windows", "UnknownField", "whatIf[0].osType" },
        { "add-service cluster=a name=x port=70000", "ValueOutOfRange", "whatIf[0].ports[0]" },
        { "add-cluster name=c workers=abc", "WrongType", "whatIf[0].workers" },
        { "add-nodepool name=win count=3", "RequiredFieldMissing", "whatIf[0].cluster" },
    };

    /// <summary>Issue 9 item 4: a what-if value meets the spec's own rules and codes; nonsense was once read as count 1 and "fits".</summary>
    [Theory]
    [MemberData(nameof(NonsenseWhatIfs))]
    public async Task WhatIf_NonsenseValue_IsAFindingWithTheSpecsCode_NotAnAnswer(string question, string code, string path)
    {
        using var ws = new Workspace();
        var r = await ws.RunIn("capacity", "-f", Specs.WorkedExample, "--what-if", question, "-o", "json");

        Assert.True(r.ExitCode == 1, r.ToString());
        var doc = Json.Parse(r);
        Assert.False(doc.TryGetProperty("fits", out _), r.ToString());
        Assert.Contains((code, path), Json.CodesAndPaths(doc));
        EndToEndTests.AssertWellFormedFindings(doc, r);
    }

    [Fact]
    public async Task WhatIf_MisspelledKey_SaysWhichFieldWasMeant()
    {
        using var ws = new Workspace();
        var r = await ws.RunIn("capacity", "-f", Specs.WorkedExample, "--what-if", "add-nodepool cluster=b name=win cuont=50", "-o", "json");
        var finding = Json.Parse(r).GetProperty("findings").EnumerateArray().Single(f => f.GetProperty("code").GetString() == "UnknownField");
        Assert.Contains("Did you mean 'count'?", finding.GetProperty("hint").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WhatIf_ThatBreaksAnotherRule_IsRefusedWithThatRule_NotAnsweredAsNotFitting()
    {
        using var ws = new Workspace();
        var r = await ws.RunIn("capacity", "-f", Specs.WorkedExample, "--what-if", "add-nodepool cluster=b name=Bad_Name count=1", "-o", "json");
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.DoesNotContain(Json.Codes(Json.Parse(r)), c => c.EndsWith("TooSmall", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Capacity_of_the_stored_site_counts_what_is_allocated()
    {
        using var ws = new Workspace();
        var apply = await ws.Run("apply", "-f", Specs.WorkedExample);
        Assert.True(apply.ExitCode == 0, apply.ToString());
        var r = await ws.Run("capacity", "-o", "json");
        Assert.True(r.ExitCode == 0, r.ToString());
        var report = Json.Parse(r);
        AssertPool(report.GetProperty("nodeIpPool"), required: 27, size: 27);
        Assert.Equal(27, report.GetProperty("nodeIpPool").GetProperty("allocated").GetInt32());
        AssertPool(report.GetProperty("vipPool"), required: 5, size: 5);
        Assert.Equal(5, report.GetProperty("vipPool").GetProperty("allocated").GetInt32());
        Assert.Equal(32, report.GetProperty("totalRequired").GetInt32());
    }

    private static void AssertPool(JsonElement pool, int required, int size)
    {
        Assert.Equal(required, pool.GetProperty("required").GetInt32());
        Assert.Equal(size, pool.GetProperty("size").GetInt32());
        Assert.Equal(required <= size, pool.GetProperty("fits").GetBoolean());
    }
}
