using Trellis.Rendering.Emit;

namespace Trellis.Rendering.Tests.Emit;

public class ConfigFileWriterTests
{
    public static TheoryData<string> WordsNeitherFormatHolds() =>
        ["", "a b", "a\tb", "a\nb", "a\rb", "a#b", "a\"b", "a'b", "a\\b", "a$b", "a\0b", "a\u2028b", "a\u0085b", "ä", "a\u202eb"];

    [Theory]
    [MemberData(nameof(WordsNeitherFormatHolds))]
    public void Line_RefusesAWordHaProxyOrKeepalivedWouldReadAsSyntax(string word)
    {
        Assert.Throws<UnrenderableValueException>(() => ConfigFileWriter.HaProxy().Line(1, "server", word));
        Assert.Throws<UnrenderableValueException>(() => ConfigFileWriter.Keepalived().Line(1, "router_id", word));
    }

    [Theory]
    [InlineData("a!b")]
    [InlineData("a{b")]
    [InlineData("a}b")]
    public void Keepalived_RefusesItsCommentAndBlockCharacters_InWords(string word)
    {
        Assert.Throws<UnrenderableValueException>(() => ConfigFileWriter.Keepalived().Line(1, "router_id", word));
        Assert.Equal($"    server {word}\n", ConfigFileWriter.HaProxy().Line(1, "server", word).ToString());
    }

    [Theory]
    [InlineData("web_1.shop:443", true, false)]
    [InlineData("web_1.shop", true, true)]
    [InlineData("linuxpool-1", true, true)]
    [InlineData("fd00::1_443", true, false)]
    [InlineData("a/b", false, false)]
    [InlineData("a+b", false, false)]
    [InlineData("a@b", false, false)]
    public void Name_AcceptsOnlyTheCharactersEachProgramAcceptsInNames(string name, bool haproxy, bool keepalived)
    {
        Assert.Equal(haproxy, Accepts(() => ConfigFileWriter.HaProxy().Name(name, "a name")));
        Assert.Equal(keepalived, Accepts(() => ConfigFileWriter.Keepalived().Name(name, "a name")));
    }

    [Theory]
    [InlineData("a\nfrontend evil", "a\\u000Afrontend evil")]
    [InlineData("a\rb", "a\\u000Db")]
    [InlineData("a\u2028b", "a\\u2028b")]
    [InlineData("a\u0085b", "a\\u0085b")]
    [InlineData("a\0b", "a\\u0000b")]
    [InlineData("a\u202eb", "a\\u202Eb")]
    public void Comment_WritesLineBreaksAndControlCharactersEscaped_SoAValueNeverLeavesItsLine(string text, string written)
    {
        Assert.Equal($"# {written}\n", ConfigFileWriter.HaProxy().Comment(text).ToString());
        Assert.Equal($"# {written}\n", ConfigFileWriter.Keepalived().Comment(text).ToString());
    }

    [Fact]
    public void Comment_KeepsQuotesHashesAndUnicode_Verbatim()
    {
        const string text = "it's \"x\" # ! { } $(y) ${z} ‘’ 你好";

        Assert.Equal($"# {text}\n", ConfigFileWriter.HaProxy().Comment(text).ToString());
        Assert.Equal($"    # {text}\n", ConfigFileWriter.Keepalived().Comment(text, 1).ToString());
    }

    [Fact]
    public void QuotedLine_RefusesWhatWouldEndOrEscapeTheQuotedString()
    {
        Assert.Throws<UnrenderableValueException>(() => ConfigFileWriter.Keepalived().QuotedLine(1, "script", "/bin/true\" x"));
        Assert.Throws<UnrenderableValueException>(() => ConfigFileWriter.Keepalived().QuotedLine(1, "script", "/bin/true\\"));
        Assert.Throws<UnrenderableValueException>(() => ConfigFileWriter.Keepalived().QuotedLine(1, "script", "/bin/true\n}"));
        Assert.Equal("    script \"/bin/true -x\"\n", ConfigFileWriter.Keepalived().QuotedLine(1, "script", "/bin/true -x").ToString());
    }

    [Fact]
    public void OpenAndClose_WriteKeepalivedBlocks()
    {
        var text = ConfigFileWriter.Keepalived().Open(0, "global_defs").Line(1, "router_id", "a").Close(0).ToString();

        Assert.Equal("global_defs {\n    router_id a\n}\n", text);
    }

    private static bool Accepts(Action write)
    {
        try
        {
            write();
            return true;
        }
        catch (UnrenderableValueException)
        {
            return false;
        }
    }
}
