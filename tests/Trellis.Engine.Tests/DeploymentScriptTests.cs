using System.Diagnostics;
using System.Management.Automation.Language;
using Trellis.Core.Model;
using Trellis.Engine.Contracts;
using Trellis.Rendering.Tests.Emit;
using Trellis.TestSupport;

namespace Trellis.Engine.Tests;

/// <summary>
/// The deployment script: the AksHci cmdlets (PowerShell) or az commands (POSIX shell) that build the stored site. Read back
/// by PowerShell's parser and run by bash and dash against a stub az, every value comes out as exactly one argument.
/// </summary>
public sealed class DeploymentScriptTests
{
    /// <summary>Every quote PowerShell or a shell knows, the characters that expand or run something, and a newline.</summary>
    private const string Hostile = "a'b\u2018c\u2019d\u201Ae\u201Bf\u201Cg\u201Dh\"i$j`k\\l\nm$(whoami);n|o&p `$x ${y} @z #q '' \u00A0";

    private static async Task<(SiteState State, RenderAnswer Answer)> ScriptOf(string example, DeploymentScriptOptions? options = null)
    {
        await using var f = new EngineFixture();
        Assert.True((await f.Engine.ApplyAsync(EngineFixture.Example(example))).Applied);
        var state = await f.Engine.ReadAsync();
        return (state, SiteViews.DeploymentScript(state, options));
    }

    [Fact]
    public async Task ALoadBalancerSettingOfSkuNone_IsWrittenWithItsNameAndSkuOnly_AsTheModuleDocumentsIt()
    {
        var (_, answer) = await ScriptOf("contoso-multicluster.yaml");

        var ast = PowerShellAst.Parse(Assert.Single(answer.Files).Content);
        var settings = ast.Commands.Where(c => c.GetCommandName() == "New-AksHciLoadBalancerSetting")
            .ToDictionary(c => ((StringConstantExpressionAst)c.CommandElements[2]).Value,
                c => c.CommandElements.OfType<CommandParameterAst>().Select(p => p.ParameterName).ToList());
        Assert.Equal(["name", "loadBalancerSku"], settings["byolb"]);
        Assert.Equal(["name", "loadBalancerSku", "vmSize", "loadBalancerCount"], settings["haproxy2"]);
    }

    [Fact]
    public void DeploymentScript_WithoutASite_IsNoSite()
    {
        var answer = SiteViews.DeploymentScript(SiteState.Empty);

        Assert.Empty(answer.Files);
        Assert.Equal("NoSite", Assert.Single(answer.Findings).Code);
    }

    [Theory]
    [InlineData("worked-example.yaml")]
    [InlineData("dhcp-site.yaml")]
    [InlineData("contoso-multicluster.yaml")]
    public async Task AksHciScript_ParsesInPowerShell_AndCallsTheAksHciCmdletsWithTheSitesValues(string example)
    {
        var (state, answer) = await ScriptOf(example);

        var file = Assert.Single(answer.Files);
        Assert.Equal("deploy-akshci.ps1", file.Path);
        var ast = PowerShellAst.Parse(file.Content);
        var spec = state.Spec!;
        Assert.Equal(["WorkingDir", "CloudConfigLocation", "ImageDir"], ast.Root.ParamBlock.Parameters.Select(p => p.Name.VariablePath.UserPath));
        Assert.Equal(["New-AksHciNetworkSetting", "Set-AksHciConfig", "Install-AksHci"], ast.CommandNames.Where(n => n is "New-AksHciNetworkSetting" or "Set-AksHciConfig" or "Install-AksHci"));
        Assert.Equal([spec.HostNetwork!.Name], ast.StringArguments("New-AksHciNetworkSetting", "name"));
        Assert.Equal([spec.HostNetwork.VipPoolStart!], ast.StringArguments("New-AksHciNetworkSetting", "vipPoolStart"));
        Assert.Equal(spec.ClusterNetworks.Select(n => n.Name), Strings(ast, "New-AksHciClusterNetwork", "name"));
        Assert.Equal(spec.Clusters.Select(c => c.Name), ast.StringArguments("New-AksHciCluster", "name"));
        Assert.Equal(spec.Clusters.Select(c => c.NodePools[0].Name), ast.StringArguments("New-AksHciCluster", "nodePoolName"));
        Assert.Equal(spec.Clusters.SelectMany(c => c.NodePools.Skip(1).Select(p => p.Name)), Strings(ast, "New-AksHciNodePool", "name"));
        Assert.Equal(spec.Clusters.SelectMany(c => c.Services.Select(s => s.Name)), ast.StringArguments("New-TrellisService", "Name"));
        // Set-AksHciConfig takes the script's parameters, not values written into it.
        Assert.Equal("$WorkingDir", ast.Arguments("Set-AksHciConfig", "workingDir").Single().Extent.Text);
    }

    [Fact]
    public async Task AksHciScript_PassesWhatAksHciHasNoParameterFor_OnlyWhenRehearsedInTrellis()
    {
        var (_, answer) = await ScriptOf("dhcp-site.yaml");
        var ast = PowerShellAst.Parse(answer.Files[0].Content);

        // Every splatted table is built only when $trellis: else an empty table, which passes nothing to AksHci.
        var splats = ast.Root.FindAll(a => a is AssignmentStatementAst { Left: VariableExpressionAst { VariablePath.UserPath: "extra" } }, true).Cast<AssignmentStatementAst>().ToList();
        Assert.NotEmpty(splats);
        Assert.All(splats, s => Assert.Matches(@"^if \(\$trellis\) \{ @\{ .* \} \} else \{ @\{\} \}$", s.Right.Extent.Text));
        Assert.DoesNotContain(ast.Commands, c => c.GetCommandName() == "New-AksHciNetworkSetting" && c.CommandElements.OfType<CommandParameterAst>().Any(p => p.ParameterName is "gateway" or "dnsServers"));
        Assert.Contains("DhcpScope = (New-TrellisDhcpScope -Subnet '10.12.0.0/24'", answer.Files[0].Content, StringComparison.Ordinal);
        Assert.Contains("@{ SiteName = 'branch' }", answer.Files[0].Content, StringComparison.Ordinal);
        // Trellis' cmdlets run only inside if ($trellis) { … }.
        var trellisCalls = ast.Commands.Where(c => c.GetCommandName()?.StartsWith("New-Trellis", StringComparison.Ordinal) == true).ToList();
        Assert.NotEmpty(trellisCalls);
        Assert.All(trellisCalls, c => Assert.True(InsideIfTrellis(c), c.Extent.Text));
        Assert.All(ast.Commands.Where(c => c.GetCommandName()?.Contains("AksHci", StringComparison.Ordinal) == true), c => Assert.False(InsideIfTrellis(c), c.Extent.Text));
        // The other node pools: New-AksHciNodePool on the real host only; the rehearsal creates them with the cluster.
        var pools = ast.Commands.Where(c => c.GetCommandName() == "New-AksHciNodePool").ToList();
        Assert.NotEmpty(pools);
        Assert.All(pools, c => Assert.True(InsideIf(c, "-not $trellis"), c.Extent.Text));
        Assert.Contains("AdditionalNodePool = @(@{ name = 'win'; osType = 'Windows'; osSku = 'Windows2022'; count = 2;", answer.Files[0].Content, StringComparison.Ordinal);
    }

    /// <summary>Whether the command runs only when the script is rehearsed in Trellis' module: inside if ($trellis) { … }.</summary>
    private static bool InsideIfTrellis(Ast ast) => InsideIf(ast, "$trellis");

    private static bool InsideIf(Ast ast, string condition)
    {
        for (var a = ast.Parent; a is not null; a = a.Parent)
        {
            if (a is IfStatementAst { Clauses: [var first, ..] } && first.Item1.Extent.Text == condition && a.Extent.StartOffset < ast.Extent.StartOffset)
            {
                return true;
            }
        }

        return false;
    }

    [Fact]
    public async Task AksHciScript_ParameterDefaults_ComeFromTheOptions_Quoted()
    {
        var (_, answer) = await ScriptOf("worked-example.yaml", new DeploymentScriptOptions(WorkingDir: @"D:\aks's dir"));
        var ast = PowerShellAst.Parse(answer.Files[0].Content);

        var defaults = ast.Root.ParamBlock.Parameters.Select(p => Assert.IsType<StringConstantExpressionAst>(p.DefaultValue).Value).ToList();
        Assert.Equal([@"D:\aks's dir", DeploymentScriptWriter.DefaultCloudConfigLocation, DeploymentScriptWriter.DefaultImageDir], defaults);
    }

    /// <summary>The contoso spec with every name, text and address replaced by a hostile value: the writer must hold each as one string.</summary>
    private static SiteSpec HostileAksHci()
    {
        var s = EngineFixture.Example("contoso-multicluster.yaml");
        return s with
        {
            Name = Hostile + "site",
            HostNetwork = s.HostNetwork! with { Name = Hostile + "host", VswitchName = Hostile + "switch", Gateway = Hostile + "gw", DnsServers = [Hostile + "dns1", Hostile + "dns2"] },
            CloudServiceCidr = Hostile + "cidr",
            Settings = s.Settings with { ManagementClusterVip = false },
            ClusterNetworks = [.. s.ClusterNetworks.Select(n => n with { Name = Hostile + "net", VipPoolEnd = Hostile + "vipend" })],
            LoadBalancerSettings = [.. s.LoadBalancerSettings.Select(l => l with { Name = Hostile + l.Name, VmSize = Hostile + "size" })],
            Clusters = [.. s.Clusters.Select(c => c with
            {
                Name = Hostile + c.Name,
                Vnet = c.Vnet is null ? null : Hostile + "net",
                LoadBalancerSettings = Hostile + c.LoadBalancerSettings,
                KubernetesVersion = "v1.29.4",
                PodCidr = Hostile + "pods",
                NodePools = [.. c.NodePools.Select(p => p with { Name = Hostile + p.Name, OsSku = Hostile + "sku" })],
                LoadBalancers = [.. c.LoadBalancers.Select(l => l with { Name = Hostile + l.Name, Addresses = [Hostile + "range"], AdvertiseMode = Hostile })],
                Services = [.. c.Services.Select(v => v with { Namespace = Hostile + "ns", Name = Hostile + v.Name, SharedIpKey = v.SharedIpKey is null ? null : Hostile + "key" })],
            })],
        };
    }

    [Fact]
    public void AksHciScript_HostileValues_ComeOutAsSingleQuotedStrings_AndNothingElse()
    {
        var spec = HostileAksHci();
        var (_, content) = DeploymentScriptWriter.Write(spec, 7, new DeploymentScriptOptions(Hostile, Hostile, Hostile));

        Assert.Equal(Rendering.Emit.PowerShellText.ByteOrderMark, content[0]);
        var ast = PowerShellAst.Parse(content);
        // Nothing expands or runs: no expandable string, no subexpression, only the writer's own variables.
        Assert.Empty(ast.Root.FindAll(a => a is ExpandableStringExpressionAst or SubExpressionAst or ScriptBlockExpressionAst, true));
        var variables = ast.Root.FindAll(a => a is VariableExpressionAst, true).Cast<VariableExpressionAst>().Select(v => v.VariablePath.UserPath).ToHashSet();
        Assert.Subset(new HashSet<string>(["ErrorActionPreference", "trellis", "WorkingDir", "CloudConfigLocation", "ImageDir", "vnet", "extra", "clusterNetwork1", "loadBalancer1", "loadBalancer2"]), variables);
        var strings = ast.Root.FindAll(a => a is StringConstantExpressionAst { StringConstantType: StringConstantType.SingleQuoted }, true)
            .Cast<StringConstantExpressionAst>().Select(c => c.Value).ToHashSet();
        string[] expected = [Hostile, Hostile + "site", Hostile + "host", Hostile + "switch", Hostile + "gw", Hostile + "dns1", Hostile + "dns2", Hostile + "cidr", Hostile + "net",
            Hostile + "vipend", Hostile + "haproxy2", Hostile + "size", Hostile + "payments", Hostile + "pods", Hostile + "linuxpool", Hostile + "sku", Hostile + "legacy-l2",
            Hostile + "range", Hostile + "ns", Hostile + "web", Hostile + "key", Hostile + "winpool"];
        Assert.Empty(expected.Except(strings).Select(e => e[Hostile.Length..]));
        Assert.Equal(Hostile + "host", ast.StringArguments("New-AksHciNetworkSetting", "name").Single());
        Assert.Equal([Hostile + "dns1", Hostile + "dns2"], ast.Arguments("New-AksHciNetworkSetting", "dnsServers").Single() is ArrayLiteralAst list
            ? list.Elements.Cast<StringConstantExpressionAst>().Select(e => e.Value) : []);
        // A name in a comment cannot start a line of code: the script runs only the writer's commands.
        Assert.Subset(new HashSet<string>(["Get-Module", "New-AksHciNetworkSetting", "Set-AksHciConfig", "Install-AksHci", "New-AksHciClusterNetwork", "New-AksHciLoadBalancerSetting",
            "New-AksHciCluster", "New-AksHciNodePool", "New-TrellisLoadBalancerPool", "New-TrellisService"]), ast.CommandNames.ToHashSet());
    }

    [Fact]
    public async Task AksArcScript_RunsInBashAndDash_CallingAzWithTheSitesValues()
    {
        var (state, answer) = await ScriptOf("aksarc-site.yaml", new DeploymentScriptOptions(ResourceGroup: "rg1", CustomLocation: "cl1"));

        var file = Assert.Single(answer.Files);
        Assert.Equal("deploy-aksarc.sh", file.Path);
        foreach (var shell in new[] { "bash", "dash" })
        {
            var calls = RunWithStubAz(shell, file.Content);
            Assert.Equal(
                ["stack-hci-vm network lnet create", "stack-hci-vm network lnet show", "aksarc create", "connectedk8s show", "k8s-runtime load-balancer enable",
                    "k8s-runtime load-balancer create", "aksarc create", "connectedk8s show", "k8s-runtime load-balancer enable", "k8s-runtime bgp-peer create", "k8s-runtime load-balancer create"],
                calls.Select(c => string.Join(" ", c.TakeWhile(a => !a.StartsWith("--", StringComparison.Ordinal)))));
            var lnet = calls[0];
            Assert.Equal(["--resource-group", "rg1", "--custom-location", "cl1", "--name", "aks-lnet", "--vm-switch-name", "ConvergedSwitch", "--ip-allocation-method", "Static",
                "--address-prefixes", "10.220.32.0/24", "--gateway", "10.220.32.1", "--dns-servers", "10.220.32.2", "--ip-pool-start", "10.220.32.18", "--ip-pool-end", "10.220.32.37", "--vlan", "32"],
                lnet.Skip(4));
            var create = calls[2];
            Assert.Equal("/subscriptions/stub/aks-lnet", Value(create, "--vnet-ids"));
            Assert.Equal(("a", "3", "10.220.32.40", "5", "1.29.4"), (Value(create, "--name"), Value(create, "--control-plane-count"), Value(create, "--control-plane-ip"),
                Value(create, "--node-count"), Value(create, "--kubernetes-version")));
            Assert.Equal(["10.220.40.0/28"], Values(calls[10], "--addresses"));
            Assert.Equal("/subscriptions/stub/b", Value(calls[10], "--resource-uri"));
            Assert.Equal(("64512", "64513", "10.220.32.1"), (Value(calls[9], "--my-asn"), Value(calls[9], "--peer-asn"), Value(calls[9], "--peer-address")));
        }

        Assert.Equal(state.Spec!.Clusters.Sum(c => c.Services.Count), file.Content.Split('\n').Count(l => l.StartsWith("#   shop/", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task AksArcScript_WithoutAResourceGroup_StopsBeforeAnyAzCall()
    {
        var (_, answer) = await ScriptOf("aksarc-site.yaml");

        var (code, calls, error) = Run("dash", answer.Files[0].Content, new Dictionary<string, string?> { ["RESOURCE_GROUP"] = null });

        Assert.NotEqual(0, code);
        Assert.Empty(calls);
        Assert.Contains("set RESOURCE_GROUP", error, StringComparison.Ordinal);
    }

    [Fact]
    public void AksArcScript_HostileValues_ReachAzAsExactlyOneArgumentEach()
    {
        var s = EngineFixture.Example("aksarc-site.yaml");
        var spec = s with
        {
            Name = Hostile,
            LogicalNetwork = s.LogicalNetwork! with { Name = Hostile + "lnet", VmSwitchName = Hostile + "switch", DnsServers = [Hostile + "dns1", Hostile + "dns2"] },
            Clusters = [.. s.Clusters.Select(c => c with
            {
                Name = Hostile + c.Name,
                ControlPlaneIp = Hostile + "ip",
                NodePools = [.. c.NodePools.Select(p => p with { Name = Hostile + p.Name }), new NodePoolSpec { Name = Hostile + "win", OsType = OsType.Windows, OsSku = Hostile + "sku" }],
                LoadBalancers = [.. c.LoadBalancers.Select(l => l with { Name = Hostile + l.Name, Addresses = [Hostile + "a1", Hostile + "a2"] })],
                BgpPeers = [.. c.BgpPeers.Select(p => p with { Name = Hostile + p.Name, PeerAddress = Hostile + "peer" })],
                Services = [.. c.Services.Select(v => v with { Name = Hostile + v.Name })],
            })],
        };
        var (_, content) = DeploymentScriptWriter.Write(spec, 3, new DeploymentScriptOptions(ResourceGroup: Hostile + "rg", CustomLocation: Hostile + "cl"));

        foreach (var shell in new[] { "bash", "dash" })
        {
            var calls = RunWithStubAz(shell, content, withoutLocation: true);
            Assert.Equal(11 + 2, calls.Count);
            Assert.Equal(Hostile + "rg", Value(calls[0], "--resource-group"));
            Assert.Equal(Hostile + "cl", Value(calls[0], "--custom-location"));
            Assert.Equal([Hostile + "dns1", Hostile + "dns2"], Values(calls[0], "--dns-servers"));
            Assert.Equal(Hostile + "switch", Value(calls[0], "--vm-switch-name"));
            var clusters = calls.Where(c => c[0] == "aksarc" && c[1] == "create").ToList();
            Assert.Equal([Hostile + "a", Hostile + "b"], clusters.Select(c => Value(c, "--name")));
            Assert.All(clusters, c => Assert.Equal(Hostile + "ip", Value(c, "--control-plane-ip")));
            Assert.Equal([Hostile + "sku", Hostile + "sku"], calls.Where(c => c[1] == "nodepool").Select(c => Value(c, "--os-sku")));
            Assert.All(calls.Where(c => c[1] == "load-balancer" && c[2] == "create"), c => Assert.Equal([Hostile + "a1", Hostile + "a2"], Values(c, "--addresses")));
            Assert.Equal(Hostile + "peer", Value(calls.Single(c => c[1] == "bgp-peer"), "--peer-address"));
        }
    }

    [Fact]
    public void ShellText_RefusesNul_AsUnrenderableValue()
    {
        var refused = Assert.Throws<Rendering.UnrenderableValueException>(() => Rendering.Emit.ShellText.Quote("a\0b", "deploy-aksarc.sh", "cluster name"));
        Assert.Equal("UnrenderableValue", refused.Finding.Code);
    }

    /// <summary>The strings given to a parameter of every call of a command; none when the script does not call it.</summary>
    private static IReadOnlyList<string> Strings(PowerShellAst ast, string command, string parameter) =>
        ast.CommandNames.Contains(command) ? ast.StringArguments(command, parameter) : [];

    private static string Value(IReadOnlyList<string> call, string option) => Values(call, option).Single();

    /// <summary>The arguments after <paramref name="option"/> up to the next option.</summary>
    private static List<string> Values(IReadOnlyList<string> call, string option) =>
        [.. call.SkipWhile(a => a != option).Skip(1).TakeWhile(a => !a.StartsWith("--", StringComparison.Ordinal))];

    private static List<string[]> RunWithStubAz(string shell, string script, bool withoutLocation = false)
    {
        var (code, calls, error) = Run(shell, script, withoutLocation ? new Dictionary<string, string?> { ["RESOURCE_GROUP"] = null, ["CUSTOM_LOCATION"] = null } : []);
        Assert.True(code == 0, $"{shell} exited {code}: {error}");
        return calls;
    }

    /// <summary>
    /// Runs the script in <paramref name="shell"/> with a stub az first on PATH that records each call's arguments exactly
    /// (separated by control characters no test value holds) and answers "show … --query id" with an id of the name.
    /// </summary>
    private static (int Code, List<string[]> Calls, string Error) Run(string shell, string script, Dictionary<string, string?> environment)
    {
        using var temp = new TempFolder();
        var log = Path.Combine(temp.Path, "az.log");
        var stub = Path.Combine(temp.Path, "az");
        File.WriteAllText(stub, """
            #!/bin/sh
            for a in "$@"; do printf '%s\037' "$a" >> "$AZ_LOG"; done
            printf '\036' >> "$AZ_LOG"
            name=
            prev=
            for a in "$@"; do [ "$prev" = "--name" ] && name=$a; prev=$a; done
            case " $* " in *" show "*) printf '/subscriptions/stub/%s\n' "$name" ;; esac
            """.Replace("\r", "", StringComparison.Ordinal));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(stub, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        var file = Path.Combine(temp.Path, "deploy.sh");
        File.WriteAllText(file, script);
        var start = new ProcessStartInfo(shell, [file]) { RedirectStandardError = true, RedirectStandardOutput = true };
        start.Environment["PATH"] = temp.Path + ":" + Environment.GetEnvironmentVariable("PATH");
        start.Environment["AZ_LOG"] = log;
        foreach (var (key, value) in environment)
        {
            if (value is null)
            {
                start.Environment.Remove(key);
            }
            else
            {
                start.Environment[key] = value;
            }
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var calls = File.Exists(log)
            ? File.ReadAllText(log).Split('\u001e', StringSplitOptions.RemoveEmptyEntries).Select(c => c.Split('\u001f')[..^1]).ToList()
            : [];
        return (process.ExitCode, calls, error);
    }
}
