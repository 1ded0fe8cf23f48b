using Trellis.Core.Model;
using Trellis.Core.Planning;
using Trellis.Core.Validation;

namespace Trellis.Core.Tests;

/// <summary>Loads the specs in examples/ so that tests and newcomers use the same files.</summary>
internal static class ExampleSites
{
    public static string Directory
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !System.IO.Directory.Exists(Path.Combine(dir.FullName, "examples")))
            {
                dir = dir.Parent;
            }

            return Path.Combine(dir?.FullName ?? throw new InvalidOperationException("examples/ not found above the test binaries."), "examples");
        }
    }

    public static SiteSpec Spec(string file)
    {
        var read = SiteSpecReader.Read(File.ReadAllText(Path.Combine(Directory, file)));
        Assert.True(read.Spec is not null, string.Join("\n", read.Findings));
        return read.Spec!;
    }

    public static ResolvedSite Resolve(SiteSpec spec)
    {
        var result = SiteValidator.Validate(spec);
        Assert.True(result.IsValid, string.Join("\n", result.Findings));
        return result.Site!;
    }
}
