using Trellis.Core.Ipam;
using Trellis.Core.Model;
using Trellis.Core.Planning;
using Trellis.Core.Validation;

namespace Trellis.TestSupport;

/// <summary>An example site resolved and planned from scratch: the same state that 'trellis apply' stores.</summary>
public sealed record ExampleState(ResolvedSite Site, IReadOnlyList<Allocation> Allocations)
{
    public static string ExamplesDirectory
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !Directory.Exists(Path.Combine(dir.FullName, "examples")))
            {
                dir = dir.Parent;
            }

            return Path.Combine(dir?.FullName ?? throw new InvalidOperationException("examples/ not found"), "examples");
        }
    }

    public static IEnumerable<string> Files => Directory.GetFiles(ExamplesDirectory, "*.yaml").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal);

    public static ExampleState Load(string file) => FromSpec(SiteSpecReader.Read(File.ReadAllText(Path.Combine(ExamplesDirectory, file))).Spec
        ?? throw new InvalidOperationException($"{file} does not parse."));

    public static ExampleState FromSpec(SiteSpec spec)
    {
        var validation = SiteValidator.Validate(spec);
        var site = validation.Site ?? throw new InvalidOperationException(string.Join("\n", validation.Findings));
        var plan = SitePlanner.Plan(site, [], new DateTimeOffset(2026, 11, 27, 0, 0, 0, TimeSpan.Zero));
        return new ExampleState(site, plan.Result);
    }
}
