using System.Text.RegularExpressions;

namespace Trellis.Core.Tests.Validation;

public partial class FindingDocsTests
{
    private static readonly Lazy<EmittedCodes.Scan> Scan = new(() => EmittedCodes.Run(Root));

    private static string Root => Directory.GetParent(ExampleSites.Directory)!.FullName;

    private static string Docs => File.ReadAllText(Path.Combine(Root, "docs", "validation.md"));

    [GeneratedRegex(@"^\| `([A-Za-z0-9]+)` \|(?<rest>.*)$", RegexOptions.Multiline)]
    private static partial Regex Row();

    [Fact]
    public void ValidationDoc_ListsEveryCodeTheProgramCanEmit()
    {
        var scan = Scan.Value;
        var documented = Row().Matches(Docs).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);

        Assert.True(scan.Projects >= 6, $"only {scan.Projects} projects were scanned; has the source layout changed?");
        Assert.True(scan.Codes.Count > 150, $"only {scan.Codes.Count} codes found; has the source layout changed?");
        Assert.True(scan.Unreadable.Count == 0, "codes the scan cannot read (use a constant):\n" + string.Join("\n", scan.Unreadable));
        Assert.True(scan.Unbound.Count == 0, "calls the scan cannot bind:\n" + string.Join("\n", scan.Unbound));
        var undocumented = scan.Codes.Where(c => !documented.Contains(c)).ToList();
        Assert.True(undocumented.Count == 0, "codes without a row in docs/validation.md: " + string.Join(", ", undocumented));
    }

    [Fact]
    public void ValidationDoc_FindsCodesOfEveryLayer()
    {
        // Codes that only the Policy, Engine and Cli layers emit, each through a different helper.
        var codes = Scan.Value.Codes;

        Assert.Contains("IpBlockCidrInvalid", codes);
        Assert.Contains("PortOutOfRange", codes);
        Assert.Contains("SelectorInvalid", codes);
        Assert.Contains("ManifestYamlInvalid", codes);
        Assert.Contains("WorkloadHasNoAddress", codes);
        Assert.Contains("NothingToRender", codes);
        Assert.Contains("NodePoolOutsidePrefix", codes);
        Assert.Contains("VipPoolOutsidePrefix", codes);
    }

    [Fact]
    public void ValidationDoc_RowsHoldNoCSharpFragments()
    {
        var fragments = Row().Matches(Docs)
            .Where(m => Regex.IsMatch(m.Groups["rest"].Value, @"\{[A-Za-z_.?()]+|\?\.|\$""|\b[a-z]\s\?\s|ToString\(|CultureInfo"))
            .Select(m => m.Groups[1].Value)
            .ToList();

        Assert.Empty(fragments);
    }
}
