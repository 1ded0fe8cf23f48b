using System.Text;
using CsCheck;
using Trellis.Core.Model;
using Trellis.Core.Validation;

namespace Trellis.Core.Tests.Model;

public class SiteSpecReaderPropertyTests
{
    private static readonly string[] Examples = Directory.GetFiles(ExampleSites.Directory, "*.yaml").Select(File.ReadAllText).ToArray();

    /// <summary>Either a spec and no error, or no spec and at least one error; every finding complete. Never an exception.</summary>
    private static void AssertWellFormedResult(string yaml)
    {
        var result = SiteSpecReader.Read(yaml);

        Assert.Equal(result.Spec is null, result.Findings.HasErrors());
        foreach (var f in result.Findings)
        {
            Assert.False(string.IsNullOrWhiteSpace(f.Code));
            Assert.False(string.IsNullOrWhiteSpace(f.Message));
            Assert.False(string.IsNullOrWhiteSpace(f.Hint));
            Assert.NotNull(f.Path);
        }

        // What the reader accepts, the validator must take without throwing too.
        if (result.Spec is { } spec)
        {
            _ = SiteValidator.Validate(spec);
        }
    }

    [Fact]
    public void Read_NeverThrows_OnRandomStrings()
    {
        Gen.String.Sample(AssertWellFormedResult, iter: 1000);
    }

    [Fact]
    public void Read_NeverThrows_OnRandomYamlPunctuation()
    {
        Gen.String[Gen.Char["{}[]:,-#&*!|>'\"%@`?~ \n\t\\abc019"], 0, 300].Sample(AssertWellFormedResult, iter: 2000);
    }

    [Fact]
    public void Read_NeverThrows_OnRandomBytes()
    {
        Gen.Byte.Array[0, 400].Sample(bytes => AssertWellFormedResult(Encoding.UTF8.GetString(bytes)), iter: 1000);
    }

    [Fact]
    public void Read_NeverThrows_OnMutatedExamples()
    {
        var edit = Gen.Select(Gen.Int[0, int.MaxValue], Gen.Int[0, 8], Gen.String[Gen.Char["{}[]:,-#&*!|'\" \n0123456789.x/"], 0, 4]);
        Gen.Select(Gen.Int[0, Examples.Length - 1], edit.Array[1, 8]).Sample((example, edits) =>
        {
            var text = new StringBuilder(Examples[example]);
            foreach (var (position, deleted, inserted) in edits)
            {
                var at = position % (text.Length + 1);
                text.Remove(at, Math.Min(deleted, text.Length - at)).Insert(at, inserted);
            }

            AssertWellFormedResult(text.ToString());
        }, iter: 1500);
    }
}
