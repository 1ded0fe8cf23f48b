using System.Globalization;
using System.Text;

namespace Trellis.Rendering.Emit;

/// <summary>
/// Writes a line-oriented configuration file (haproxy.cfg, keepalived.conf) word by word, and refuses every value
/// its syntax cannot hold instead of emitting it: a word never holds a separator, a quote, a backslash, a comment
/// character or a control character; a name holds only the characters the program accepts in names; a comment goes
/// through <see cref="CommentText.OneLine"/>, so it never ends its line. Values reach these files only through here
/// (DESIGN.md, "Rendering is emitting").
/// </summary>
public sealed class ConfigFileWriter
{
    private const string Indent = "    ";

    private readonly StringBuilder _text = new();
    private readonly string _file;
    private readonly string _forbiddenInWords;
    private readonly string _nameCharacters;
    private readonly string _nameRule;

    private ConfigFileWriter(string file, string forbiddenInWords, string nameCharacters, string nameRule)
    {
        _file = file;
        _forbiddenInWords = forbiddenInWords;
        _nameCharacters = nameCharacters;
        _nameRule = nameRule;
    }

    /// <summary>
    /// HAProxy 2.6 (configuration.txt §2.2–2.3): words split on spaces and tabs; <c>#</c> starts a comment; quotes and
    /// backslashes are syntax; <c>$</c> expands environment variables in quotes. Proxy and server names: letters,
    /// digits, '-', '_', '.' and ':' (§4).
    /// </summary>
    public static ConfigFileWriter HaProxy() => new("haproxy.cfg", "\"'\\#$", "-_.:", "HAProxy names hold only letters, digits, '-', '_', '.' and ':'");

    /// <summary>
    /// keepalived 2.2 (keepalived.conf(5)): words split on whitespace; <c>#</c> and <c>!</c> start a comment anywhere
    /// in a line; braces delimit blocks; quotes and backslashes are syntax. Instance, script and router names and
    /// interfaces: letters, digits, '-', '_' and '.'.
    /// </summary>
    public static ConfigFileWriter Keepalived() => new("keepalived.conf", "\"'\\#!{}$", "-_.", "keepalived names hold only letters, digits, '-', '_' and '.'");

    /// <summary>A whole-line comment; line breaks and other control or format characters are written as \uXXXX.</summary>
    public ConfigFileWriter Comment(string text, int depth = 0)
    {
        _text.Append(Prefix(depth)).Append("# ").Append(CommentText.OneLine(text)).Append('\n');
        return this;
    }

    /// <summary>One directive: its words separated by one space, each checked to be one word of the format.</summary>
    public ConfigFileWriter Line(int depth, params string[] words)
    {
        _text.Append(Prefix(depth));
        for (var i = 0; i < words.Length; i++)
        {
            _text.Append(i == 0 ? "" : " ").Append(Word(words[i]));
        }

        _text.Append('\n');
        return this;
    }

    /// <summary>A keepalived block opening: its words, then <c>{</c>.</summary>
    public ConfigFileWriter Open(int depth, params string[] words) => Line(depth, words).ReplaceLastNewline(" {\n");

    public ConfigFileWriter Close(int depth)
    {
        _text.Append(Prefix(depth)).Append("}\n");
        return this;
    }

    /// <summary>A directive whose argument is one double-quoted string (a keepalived script); quotes, backslashes and control characters are refused.</summary>
    public ConfigFileWriter QuotedLine(int depth, string keyword, string text)
    {
        if (text.Any(ch => ch is '"' or '\\') || CommentText.OneLine(text) != text)
        {
            throw UnrenderableValueException.For(_file, $"the argument of '{keyword}'", text, "a double quote, a backslash or a control character would end or escape the quoted string");
        }

        _text.Append(Prefix(depth)).Append(Word(keyword)).Append(" \"").Append(text).Append("\"\n");
        return this;
    }

    public ConfigFileWriter Blank()
    {
        _text.Append('\n');
        return this;
    }

    /// <summary>Checks that <paramref name="value"/> is a name the program accepts and returns it; <paramref name="what"/> says which name in the refusal.</summary>
    public string Name(string value, string what)
    {
        if (value.Length == 0 || !value.All(ch => char.IsAsciiLetterOrDigit(ch) || _nameCharacters.Contains(ch, StringComparison.Ordinal)))
        {
            throw UnrenderableValueException.For(_file, what, value, _nameRule);
        }

        return value;
    }

    public override string ToString() => _text.ToString();

    private string Word(string word)
    {
        if (word.Length == 0)
        {
            throw UnrenderableValueException.For(_file, "a word", word, "an empty word would shift every argument after it");
        }

        foreach (var ch in word)
        {
            if (ch is <= ' ' or >= '\u007f' || _forbiddenInWords.Contains(ch, StringComparison.Ordinal))
            {
                throw UnrenderableValueException.For(_file, "a word", word,
                    $"it holds {Describe(ch)}, which this format reads as syntax or cannot hold in a bare word");
            }
        }

        return word;
    }

    private ConfigFileWriter ReplaceLastNewline(string with)
    {
        _text.Length--;
        _text.Append(with);
        return this;
    }

    private static string Prefix(int depth) => string.Concat(Enumerable.Repeat(Indent, depth));

    private static string Describe(char ch) =>
        ch is > ' ' and < '\u007f' ? $"'{ch}'" : $"U+{((int)ch).ToString("X4", CultureInfo.InvariantCulture)}";
}
