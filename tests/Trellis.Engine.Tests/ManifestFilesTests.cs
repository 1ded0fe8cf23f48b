using Trellis.Engine;
using Trellis.TestSupport;

namespace Trellis.Engine.Tests;

/// <summary>How -f reads manifests (kubectl apply -R -f): the texts handed to the Engine and the names findings give them.</summary>
public sealed class ManifestFilesTests
{
    [Fact]
    public void Folders_GiveTheirManifestFilesInNameOrder_SubfoldersToo_NamedUnderTheFolder()
    {
        using var ws = new TempFolder();
        var root = Directory.CreateDirectory(Path.Combine(ws.Path, "manifests"));
        File.WriteAllText(Path.Combine(root.FullName, "b.yaml"), "b");
        File.WriteAllText(Path.Combine(root.FullName, "a.yml"), "a");
        File.WriteAllText(Path.Combine(root.FullName, "notes.txt"), "not a manifest");
        var sub = Directory.CreateDirectory(Path.Combine(root.FullName, "sub"));
        File.WriteAllText(Path.Combine(sub.FullName, "c.JSON"), "c");
        File.WriteAllText(Path.Combine(ws.Path, "alone.yaml"), "alone");

        var (manifests, problems) = ManifestFiles.Read([root.FullName + Path.DirectorySeparatorChar, Path.Combine(ws.Path, "alone.yaml")]);

        Assert.Empty(problems);
        Assert.Equal(
            [("manifests/a.yml", "a"), ("manifests/b.yaml", "b"), ("manifests/sub/c.JSON", "c"), ("alone.yaml", "alone")],
            manifests.Select(m => (m.Name, m.Text)));
    }

    [Fact]
    public void MissingPaths_AndFilesThatAreNotRegular_AreFindings_AndTheRestIsStillRead()
    {
        using var ws = new TempFolder();
        File.WriteAllText(Path.Combine(ws.Path, "ok.yaml"), "ok");
        var missing = Path.Combine(ws.Path, "missing.yaml");

        var (manifests, problems) = ManifestFiles.Read([missing, "/dev/null", Path.Combine(ws.Path, "ok.yaml")]);

        Assert.Equal(["ok.yaml"], manifests.Select(m => m.Name));
        Assert.Equal([("ManifestNotFound", missing), ("NotARegularFile", "/dev/null")], problems.Select(f => (f.Code, f.Path)));
    }
    /// <summary>
    /// A subfolder the user cannot list (chmod 000 for anyone but root): the file system is injected, since a test run as
    /// root can list any folder; it throws for that folder what .NET throws for it.
    /// </summary>
    [Theory]
    [InlineData("permission")]
    [InlineData("io")]
    public void AnUnreadableSubfolder_IsManifestFolderUnreadable_NamingIt_AndTheRestIsStillRead(string failure)
    {
        using var ws = new TempFolder();
        var root = Directory.CreateDirectory(Path.Combine(ws.Path, "manifests")).FullName;
        File.WriteAllText(Path.Combine(root, "a.yaml"), "a");
        var locked = Directory.CreateDirectory(Path.Combine(root, "locked")).FullName;
        File.WriteAllText(Path.Combine(locked, "b.yaml"), "b");
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(Path.Combine(root, "z")).FullName, "c.yaml"), "c");
        IReadOnlyList<string> List(string folder) => Path.TrimEndingDirectorySeparator(folder) != locked ? [.. Directory.EnumerateFileSystemEntries(folder)]
            : failure == "permission" ? throw new UnauthorizedAccessException($"Access to the path '{folder}' is denied.")
            : throw new IOException("Input/output error");

        var (manifests, problems) = ManifestFiles.Read([root], List);

        Assert.Equal(["manifests/a.yaml", "manifests/z/c.yaml"], manifests.Select(m => m.Name));
        var problem = Assert.Single(problems);
        Assert.Equal(("ManifestFolderUnreadable", locked, Trellis.Engine.Contracts.Severity.Error), (problem.Code, problem.Path, problem.Severity));
        Assert.Contains($"'{locked}' cannot be read", problem.Message, StringComparison.Ordinal);
        Assert.Contains(failure == "permission" ? "is denied" : "Input/output error", problem.Message, StringComparison.Ordinal);
        Assert.Contains("chmod u+rx", problem.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void AFolderGivenWithF_ThatCannotBeListed_IsManifestFolderUnreadable()
    {
        using var ws = new TempFolder();
        var root = Directory.CreateDirectory(Path.Combine(ws.Path, "manifests")).FullName;

        var (manifests, problems) = ManifestFiles.Read([root], folder => throw new UnauthorizedAccessException($"Access to the path '{folder}' is denied."));

        Assert.Empty(manifests);
        Assert.Equal([("ManifestFolderUnreadable", root)], problems.Select(f => (f.Code, f.Path)));
    }

    /// <summary>A symbolic link back up the tree is a cycle: each folder is read once, not once per lap until the path is too long.</summary>
    [Fact]
    public void ALinkBackUpTheTree_ReadsEachFolderOnce()
    {
        using var ws = new TempFolder();
        var root = Directory.CreateDirectory(Path.Combine(ws.Path, "manifests")).FullName;
        File.WriteAllText(Path.Combine(root, "a.yaml"), "a");
        var sub = Directory.CreateDirectory(Path.Combine(root, "sub")).FullName;
        File.WriteAllText(Path.Combine(sub, "b.yaml"), "b");
        Directory.CreateSymbolicLink(Path.Combine(sub, "up"), "..");
        Directory.CreateSymbolicLink(Path.Combine(root, "again"), sub);

        var (manifests, problems) = ManifestFiles.Read([root]);

        Assert.Empty(problems);
        // Folders are walked in name order: 'again' is reached before 'sub', and names the one copy of b.yaml.
        Assert.Equal([("manifests/a.yaml", "a"), ("manifests/again/b.yaml", "b")], manifests.Select(m => (m.Name, m.Text)));
    }
}
