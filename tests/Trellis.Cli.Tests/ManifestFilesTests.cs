using Trellis.Cli.Tests.Infrastructure;

namespace Trellis.Cli.Tests;

/// <summary>How -f reads manifests (kubectl apply -R -f): the texts handed to the Engine and the names findings give them.</summary>
public sealed class ManifestFilesTests
{
    [Fact]
    public void Folders_GiveTheirManifestFilesInNameOrder_SubfoldersToo_NamedUnderTheFolder()
    {
        using var ws = new Workspace();
        var root = Directory.CreateDirectory(ws.PathOf("manifests"));
        File.WriteAllText(Path.Combine(root.FullName, "b.yaml"), "b");
        File.WriteAllText(Path.Combine(root.FullName, "a.yml"), "a");
        File.WriteAllText(Path.Combine(root.FullName, "notes.txt"), "not a manifest");
        var sub = Directory.CreateDirectory(Path.Combine(root.FullName, "sub"));
        File.WriteAllText(Path.Combine(sub.FullName, "c.JSON"), "c");
        File.WriteAllText(ws.PathOf("alone.yaml"), "alone");

        var (manifests, problems) = ManifestFiles.Read([root.FullName + Path.DirectorySeparatorChar, ws.PathOf("alone.yaml")]);

        Assert.Empty(problems);
        Assert.Equal(
            [("manifests/a.yml", "a"), ("manifests/b.yaml", "b"), ("manifests/sub/c.JSON", "c"), ("alone.yaml", "alone")],
            manifests.Select(m => (m.Name, m.Text)));
    }

    [Fact]
    public void MissingPaths_AndFilesThatAreNotRegular_AreFindings_AndTheRestIsStillRead()
    {
        using var ws = new Workspace();
        File.WriteAllText(ws.PathOf("ok.yaml"), "ok");
        var missing = ws.PathOf("missing.yaml");

        var (manifests, problems) = ManifestFiles.Read([missing, "/dev/null", ws.PathOf("ok.yaml")]);

        Assert.Equal(["ok.yaml"], manifests.Select(m => m.Name));
        Assert.Equal([("ManifestNotFound", missing), ("NotARegularFile", "/dev/null")], problems.Select(f => (f.Code, f.Path)));
    }
}
