using Trellis.Cli.Tests.Infrastructure;

namespace Trellis.Cli.Tests;

/// <summary>trellis render deploy-script: the script that deploys the stored site, printed or written to a file.</summary>
public sealed class DeployScriptTests
{
    [Fact]
    public async Task DeployScript_OfAnAksHciSite_PrintsTheAksHciCmdlets_AndWithOutputWritesTheSameBytesToTheFile()
    {
        using var ws = new Workspace();
        Assert.Equal(0, (await ws.Run("apply", "-f", Specs.Contoso)).ExitCode);

        var printed = await ws.Run("render", "deploy-script");
        var written = await ws.Run("render", "deploy-script", "--output", ws.PathOf("deploy.ps1"));

        Assert.True(printed.ExitCode == 0, printed.ToString());
        Assert.StartsWith("# Deployment of AksHci site 'contoso'", printed.Stdout, StringComparison.Ordinal);
        Assert.Contains("New-AksHciCluster -name 'payments' -nodePoolName 'linuxpool' -nodeCount 6", printed.Stdout, StringComparison.Ordinal);
        Assert.Contains("Set-AksHciConfig -workingDir $WorkingDir", printed.Stdout, StringComparison.Ordinal);
        Assert.True(written.ExitCode == 0, written.ToString());
        Assert.Equal(ws.PathOf("deploy.ps1"), written.Stdout.Trim());
        Assert.Equal(printed.Stdout, await File.ReadAllTextAsync(ws.PathOf("deploy.ps1")));
    }

    [Fact]
    public async Task DeployScript_OfAnAksArcSite_PrintsTheAzCommands()
    {
        using var ws = new Workspace();
        Assert.Equal(0, (await ws.Run("apply", "-f", Specs.Example("aksarc-site.yaml"))).ExitCode);

        var printed = await ws.Run("render", "deploy-script", "-o", ws.PathOf("deploy.sh"));

        Assert.True(printed.ExitCode == 0, printed.ToString());
        var script = await File.ReadAllTextAsync(ws.PathOf("deploy.sh"));
        Assert.StartsWith("#!/bin/sh\n", script, StringComparison.Ordinal);
        Assert.Contains("az aksarc create --resource-group \"$RESOURCE_GROUP\" --custom-location \"$CUSTOM_LOCATION\" --name 'a' --vnet-ids \"$lnet_id\" --control-plane-count 3 --control-plane-ip '10.220.32.40'",
            script, StringComparison.Ordinal);
        Assert.Contains("az k8s-runtime load-balancer create --load-balancer-name 'lb-b' --resource-uri \"$cluster_id\" --addresses '10.220.40.0/28' --advertise-mode 'BGP'", script, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeployScript_WithoutASite_IsNoSite_AndWritesNoFile()
    {
        using var ws = new Workspace();

        var r = await ws.Run("render", "deploy-script", "--output", ws.PathOf("deploy.ps1"));

        Assert.Equal(1, r.ExitCode);
        Assert.Contains("NoSite", r.Stdout + r.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(ws.PathOf("deploy.ps1")));
    }

    [Fact]
    public async Task DeployScript_ToAFolderThatDoesNotExist_IsAFileSystemError_AndWritesNothing()
    {
        using var ws = new Workspace();
        Assert.Equal(0, (await ws.Run("apply", "-f", Specs.Contoso)).ExitCode);

        var r = await ws.Run("render", "deploy-script", "--output", ws.PathOf("nosuch/deploy.ps1"));

        Assert.Equal(3, r.ExitCode);
        Assert.Contains("Nothing was written", r.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(ws.PathOf("nosuch")));
    }
}
