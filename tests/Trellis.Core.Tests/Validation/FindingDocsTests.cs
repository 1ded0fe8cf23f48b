using System.Text.RegularExpressions;

namespace Trellis.Core.Tests.Validation;

public partial class FindingDocsTests
{
    [GeneratedRegex(@"\b(?:Error|Warning|Info|Short)\(\s*""([A-Za-z0-9]+)""")]
    private static partial Regex EmittedCode();

    [Fact]
    public void EveryFindingCode_IsDocumentedInDocsValidation()
    {
        var root = Directory.GetParent(ExampleSites.Directory)!.FullName;
        var sources = new[] { "Trellis.Core", "Trellis.Engine", "Trellis.Cli" }
            .SelectMany(p => Directory.GetFiles(Path.Combine(root, "src", p), "*.cs", SearchOption.AllDirectories));
        var codes = sources.SelectMany(f => EmittedCode().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value)).ToHashSet(StringComparer.Ordinal);
        var docs = File.ReadAllText(Path.Combine(root, "docs", "validation.md"));

        Assert.True(codes.Count > 100, $"only {codes.Count} codes found; has the source layout changed?");
        Assert.Empty(codes.Where(c => !docs.Contains($"`{c}`", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
    }
}
