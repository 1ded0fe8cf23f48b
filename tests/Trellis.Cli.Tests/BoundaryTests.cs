using System.Xml.Linq;

namespace Trellis.Cli.Tests;

/// <summary>The CLI is a front end: it reaches the layers only through the Engine (docs/engine.md).</summary>
public sealed class BoundaryTests
{
    private static readonly string[] Layers = ["Trellis.Core", "Trellis.Policy", "Trellis.Rendering", "Trellis.Storage"];

    [Fact]
    public void TheCliAssembly_ReferencesNoLayerBelowTheEngine()
    {
        var referenced = typeof(TrellisCli).Assembly.GetReferencedAssemblies().Select(a => a.Name).ToList();

        Assert.Contains("Trellis.Engine", referenced);
        Assert.DoesNotContain(referenced, name => Layers.Contains(name));
    }

    [Fact]
    public void TheCliProject_CompilesAgainstTheEngineThePresentationAndTheLabOnly()
    {
        var project = XDocument.Load(Path.Combine(SourceRoot(), "src", "Trellis.Cli", "Trellis.Cli.csproj"));

        Assert.Equal("true", project.Descendants("DisableTransitiveProjectReferences").Single().Value);
        Assert.Equal(["Trellis.Engine", "Trellis.Lab", "Trellis.Presentation"],
            project.Descendants("ProjectReference").Select(r => Path.GetFileNameWithoutExtension(r.Attribute("Include")!.Value)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void TheLab_SeesTheEngineOnly()
    {
        var referenced = typeof(Trellis.Lab.LabPlan).Assembly.GetReferencedAssemblies().Select(a => a.Name).ToList();

        Assert.DoesNotContain(referenced, name => Layers.Contains(name));
    }

    [Fact]
    public void ThePresentation_SeesTheEngineOnly()
    {
        var referenced = typeof(Trellis.Presentation.ConnectivityHeatmap).Assembly.GetReferencedAssemblies().Select(a => a.Name).ToList();

        Assert.DoesNotContain(referenced, name => Layers.Contains(name));
    }

    private static string SourceRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Trellis.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Trellis.slnx not found above the test's folder");
    }
}
