using System.Globalization;
using System.Text;

namespace Trellis.Core.Governance.Expressions;

/// <summary>A node of a parsed rule. The checker fills in <see cref="Type"/>; <see cref="Height"/> bounds recursion.</summary>
internal abstract class Node(int offset, int length, params Node?[] children)
{
    public int Offset { get; } = offset;

    public int Length { get; } = length;

    public int Height { get; } = 1 + children.Select(c => c?.Height ?? 0).DefaultIfEmpty(0).Max();

    public RuleType Type { get; set; } = RuleType.Dyn;
}

internal sealed class Literal(int offset, int length, RuleValue value) : Node(offset, length)
{
    public RuleValue Value { get; } = value;
}

internal sealed class Ident(int offset, int length, string name) : Node(offset, length)
{
    public string Name { get; } = name;

    /// <summary>-1 item, -2 params, otherwise the slot of a macro's variable.</summary>
    public int Slot { get; set; }
}

internal sealed class Select(int offset, int length, Node target, string field, int fieldOffset) : Node(offset, length, target)
{
    /// <summary>Where the field's name starts: unknown-field findings point there.</summary>
    public int FieldOffset { get; } = fieldOffset;

    public Node Target { get; } = target;

    public string Field { get; } = field;
}

internal sealed class IndexNode(int offset, int length, Node target, Node index) : Node(offset, length, target, index)
{
    public Node Target { get; } = target;

    public Node Index { get; } = index;
}

internal sealed class Unary(int offset, int length, string op, Node operand) : Node(offset, length, operand)
{
    public string Op { get; } = op;

    public Node Operand { get; } = operand;
}

internal sealed class Binary(int offset, int length, string op, Node left, Node right) : Node(offset, length, left, right)
{
    public string Op { get; } = op;

    public Node Left { get; } = left;

    public Node Right { get; } = right;
}

internal sealed class Conditional(int offset, int length, Node test, Node then, Node otherwise) : Node(offset, length, test, then, otherwise)
{
    public Node Test { get; } = test;

    public Node Then { get; } = then;

    public Node Otherwise { get; } = otherwise;
}

internal sealed class ListNode(int offset, int length, Node[] items) : Node(offset, length, items)
{
    public Node[] Items { get; } = items;
}

internal sealed class MapNode(int offset, int length, Node[] keys, Node[] values) : Node(offset, length, [.. keys, .. values])
{
    public Node[] Keys { get; } = keys;

    public Node[] Values { get; } = values;
}

/// <summary>A function (<c>size(x)</c>, Target null) or method (<c>x.startsWith(y)</c>) call.</summary>
internal sealed class Call(int offset, int length, string name, Node? target, Node[] args, int nameOffset) : Node(offset, length, [target, .. args])
{
    public int NameOffset { get; } = nameOffset;

    public string Name { get; } = name;

    public Node? Target { get; } = target;

    public Node[] Args { get; } = args;

    /// <summary>The compiled pattern of <c>matches</c>, whose argument must be a literal.</summary>
    public System.Text.RegularExpressions.Regex? Pattern { get; set; }
}

/// <summary><c>has(a.b)</c>: whether the field is present (and, for a declared object field, not null).</summary>
internal sealed class Has(int offset, int length, Select field) : Node(offset, length, field)
{
    public Select Field { get; } = field;
}

/// <summary>A list macro: <c>xs.all(v, pred)</c>, exists, exists_one, filter, map.</summary>
internal sealed class Macro(int offset, int length, string name, Node range, string variable, Node body) : Node(offset, length, range, body)
{
    public string Name { get; } = name;

    public Node Range { get; } = range;

    public string Variable { get; } = variable;

    public Node Body { get; } = body;

    public int Slot { get; set; }
}

internal sealed class SyntaxException(string code, string message, string hint, int offset, int length) : Exception(message)
{
    public string Code { get; } = code;

    public string Hint { get; } = hint;

    public int Offset { get; } = offset;

    public int Length { get; } = length;
}

internal enum TokenKind
{
    End,
    Int,
    Double,
    String,
    Ident,
    Punct,
}

internal readonly record struct Token(TokenKind Kind, string Text, int Offset, int Length, RuleValue? Value = null, ulong Int = 0);

/// <summary>
/// The lexer and a recursive-descent parser of the CEL subset. The parser counts its recursion and the height of
/// the tree it builds, so deep nesting becomes <c>RuleTooComplex</c> before the stack could overflow.
/// </summary>
internal sealed class RuleParser
{
    public const int MaxLength = 4096;
    public const int MaxDepth = 64;

    private static readonly string[] Puncts =
        ["==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "+", "-", "*", "/", "%", "?", ":", ".", ",", "(", ")", "[", "]", "{", "}"];

    private static readonly HashSet<string> MacroNames = new(StringComparer.Ordinal) { "all", "exists", "exists_one", "filter", "map" };

    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal)
    {
        "as", "break", "const", "continue", "else", "for", "function", "if", "import", "let", "loop", "package",
        "namespace", "return", "var", "void", "while",
    };

    private readonly string text;
    private readonly List<Token> tokens = [];
    private int position;
    private int depth;

    private RuleParser(string text) => this.text = text;

    public static Node Parse(string text)
    {
        if (text.Length > MaxLength)
        {
            throw new SyntaxException("RuleTooComplex", $"The expression is {text.Length} characters long; at most {MaxLength} are allowed.",
                "Split the rule into several definitions.", MaxLength, 0);
        }

        var parser = new RuleParser(text);
        parser.Lex();
        var node = parser.ParseExpr();
        var end = parser.Peek;
        if (end.Kind != TokenKind.End)
        {
            throw Unexpected(end, "the end of the expression");
        }

        return node;
    }

    private Token Peek => tokens[position];

    private static SyntaxException Unexpected(Token token, string expected) =>
        new("RuleSyntax", $"Expected {expected} but found {(token.Kind == TokenKind.End ? "the end of the expression" : $"'{token.Text}'")}",
            "Check the operators and brackets against the rule language in docs/governance.md.", token.Offset, Math.Max(token.Length, 1));

    private static SyntaxException Error(int offset, int length, string message, string hint = "") =>
        new("RuleSyntax", message, hint.Length > 0 ? hint : "Check the literal's spelling.", offset, length);

    // ---- lexer ----
    private void Lex()
    {
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c == '/' && i + 1 < text.Length && text[i + 1] == '/')
            {
                while (i < text.Length && text[i] != '\n')
                {
                    i++;
                }
            }
            else if (char.IsAsciiDigit(c) || (c == '.' && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1]) && !FollowsValue))
            {
                i = LexNumber(i);
            }
            else if (c is '\'' or '"')
            {
                i = LexString(i);
            }
            else if (char.IsAsciiLetter(c) || c == '_')
            {
                var start = i;
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '_'))
                {
                    i++;
                }

                if (i < text.Length && text[i] is '\'' or '"' && i - start == 1 && text[start] is 'r' or 'R' or 'b' or 'B')
                {
                    throw Error(start, 1, "Raw and bytes string literals are not supported.", "Write a plain 'string'.");
                }

                tokens.Add(new Token(TokenKind.Ident, text[start..i], start, i - start));
            }
            else
            {
                var punct = Puncts.FirstOrDefault(p => string.CompareOrdinal(text, i, p, 0, p.Length) == 0)
                    ?? throw Error(i, 1, $"Unexpected character '{c}'.", "Remove it, or quote it inside a string.");
                tokens.Add(new Token(TokenKind.Punct, punct, i, punct.Length));
                i += punct.Length;
            }
        }

        tokens.Add(new Token(TokenKind.End, string.Empty, text.Length, 0));
    }

    /// <summary>Whether the last token ends a value, so that '.' selects a field rather than starts a number (.5).</summary>
    private bool FollowsValue => tokens.Count > 0 && (tokens[^1].Kind != TokenKind.Punct || tokens[^1].Text is ")" or "]" or "}");

    private int LexNumber(int start)
    {
        var i = start;
        if (text[i] == '0' && i + 1 < text.Length && text[i + 1] is 'x' or 'X')
        {
            i += 2;
            while (i < text.Length && char.IsAsciiHexDigit(text[i]))
            {
                i++;
            }

            if (!ulong.TryParse(text.AsSpan(start + 2, i - start - 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hex))
            {
                throw Error(start, i - start, "The hexadecimal literal is empty or too large.");
            }

            return AddInt(start, i, hex);
        }

        while (i < text.Length && char.IsAsciiDigit(text[i]))
        {
            i++;
        }

        var isDouble = false;
        if (i + 1 < text.Length && text[i] == '.' && char.IsAsciiDigit(text[i + 1]))
        {
            isDouble = true;
            i++;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }
        }

        if (i < text.Length && text[i] is 'e' or 'E')
        {
            var j = i + 1;
            if (j < text.Length && text[j] is '+' or '-')
            {
                j++;
            }

            if (j < text.Length && char.IsAsciiDigit(text[j]))
            {
                isDouble = true;
                i = j;
                while (i < text.Length && char.IsAsciiDigit(text[i]))
                {
                    i++;
                }
            }
        }

        var literal = text[start..i];
        if (isDouble)
        {
            tokens.Add(new Token(TokenKind.Double, literal, start, i - start,
                new DoubleValue(double.Parse(literal, NumberStyles.Float, CultureInfo.InvariantCulture))));
            return i;
        }

        if (!ulong.TryParse(literal, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            throw Error(start, i - start, $"The integer {literal} is out of range.", "Integers are 64-bit signed.");
        }

        return AddInt(start, i, value);
    }

    private int AddInt(int start, int end, ulong value)
    {
        if (end < text.Length && text[end] is 'u' or 'U')
        {
            throw Error(start, end - start + 1, "Unsigned integers are not supported.", "Drop the u suffix.");
        }

        tokens.Add(new Token(TokenKind.Int, text[start..end], start, end - start, Int: value));
        return end;
    }

    private int LexString(int start)
    {
        var quote = text[start];
        var value = new StringBuilder();
        var i = start + 1;
        while (true)
        {
            if (i >= text.Length || text[i] is '\n' or '\r')
            {
                throw Error(start, i - start, "The string is not closed.", $"End it with {quote}.");
            }

            var c = text[i];
            if (c == quote)
            {
                break;
            }

            if (c != '\\')
            {
                value.Append(c);
                i++;
                continue;
            }

            if (i + 1 >= text.Length)
            {
                throw Error(i, 1, "The escape sequence is not complete.");
            }

            var e = text[i + 1];
            i += 2;
            switch (e)
            {
                case 'n': value.Append('\n'); break;
                case 't': value.Append('\t'); break;
                case 'r': value.Append('\r'); break;
                case 'a': value.Append('\a'); break;
                case 'b': value.Append('\b'); break;
                case 'f': value.Append('\f'); break;
                case 'v': value.Append('\v'); break;
                case '\\' or '\'' or '"' or '?' or '`': value.Append(e); break;
                case 'x' or 'X': i = AppendCodePoint(value, i, 2, NumberStyles.AllowHexSpecifier); break;
                case 'u': i = AppendCodePoint(value, i, 4, NumberStyles.AllowHexSpecifier); break;
                case 'U': i = AppendCodePoint(value, i, 8, NumberStyles.AllowHexSpecifier); break;
                case >= '0' and <= '3': i = AppendOctal(value, i - 1); break;
                default: throw Error(i - 2, 2, $"Unknown escape sequence '\\{e}'.", "Escape a backslash as \\\\.");
            }
        }

        tokens.Add(new Token(TokenKind.String, text[start..(i + 1)], start, i + 1 - start, new StringValue(value.ToString())));
        return i + 1;
    }

    private int AppendCodePoint(StringBuilder value, int at, int digits, NumberStyles style)
    {
        if (at + digits > text.Length
            || !int.TryParse(text.AsSpan(at, digits), style, CultureInfo.InvariantCulture, out var code)
            || code > 0x10FFFF || code is >= 0xD800 and <= 0xDFFF)
        {
            throw Error(at - 2, Math.Min(digits + 2, text.Length - at + 2), "The escape sequence is not a valid code point.");
        }

        value.Append(char.ConvertFromUtf32(code));
        return at + digits;
    }

    private int AppendOctal(StringBuilder value, int at)
    {
        if (at + 3 > text.Length || !text.AsSpan(at, 3).ToString().All(ch => ch is >= '0' and <= '7'))
        {
            throw Error(at - 1, 2, "An octal escape needs three digits.");
        }

        value.Append((char)(((text[at] - '0') * 64) + ((text[at + 1] - '0') * 8) + (text[at + 2] - '0')));
        return at + 3;
    }

    // ---- parser ----
    private bool Accept(string punct)
    {
        if (Peek.Kind == TokenKind.Punct && Peek.Text == punct)
        {
            position++;
            return true;
        }

        return false;
    }

    private Token Expect(string punct)
    {
        var token = Peek;
        if (!Accept(punct))
        {
            throw Unexpected(token, $"'{punct}'");
        }

        return token;
    }

    private Node Bounded(Node node)
    {
        if (node.Height > MaxDepth)
        {
            throw TooDeep(node.Offset);
        }

        return node;
    }

    private static SyntaxException TooDeep(int offset) =>
        new("RuleTooComplex", $"The expression nests deeper than {MaxDepth} levels.",
            "Simplify the rule or split it into several definitions.", offset, 1);

    private Node ParseExpr()
    {
        if (++depth > MaxDepth)
        {
            throw TooDeep(Peek.Offset);
        }

        var start = Peek.Offset;
        var test = ParseBinary(0);
        if (Accept("?"))
        {
            var then = ParseBinary(0);
            Expect(":");
            var otherwise = ParseExpr();
            test = Bounded(new Conditional(start, End - start, test, then, otherwise));
        }

        depth--;
        return test;
    }

    private int End => position == 0 ? 0 : tokens[position - 1].Offset + tokens[position - 1].Length;

    private static readonly string[][] Levels =
    [
        ["||"], ["&&"], ["==", "!=", "<", "<=", ">", ">=", "in"], ["+", "-"], ["*", "/", "%"],
    ];

    /// <summary>Precedence climbing over the binary operators, loosest first; all are left-associative.</summary>
    private Node ParseBinary(int level)
    {
        if (level == Levels.Length)
        {
            return ParseUnary();
        }

        var left = ParseBinary(level + 1);
        while (Peek.Kind is TokenKind.Punct or TokenKind.Ident && Levels[level].Contains(Peek.Text))
        {
            var op = Peek.Text;
            position++;
            var right = ParseBinary(level + 1);
            left = Bounded(new Binary(left.Offset, End - left.Offset, op, left, right));
        }

        return left;
    }

    private Node ParseUnary()
    {
        var token = Peek;
        if (Accept("!") || Accept("-"))
        {
            if (++depth > MaxDepth)
            {
                throw TooDeep(token.Offset);
            }

            Node operand;
            if (token.Text == "-" && Peek.Kind == TokenKind.Int && Peek.Int == 1UL << 63)
            {
                operand = ParseMember(new Literal(token.Offset, Peek.Offset + Peek.Length - token.Offset, new IntValue(long.MinValue)), skip: true);
                depth--;
                return operand;
            }

            operand = ParseUnary();
            depth--;
            return Bounded(new Unary(token.Offset, End - token.Offset, token.Text, operand));
        }

        return ParseMember(ParsePrimary(), skip: false);
    }

    private Node ParseMember(Node node, bool skip)
    {
        if (skip)
        {
            position++;
        }

        while (true)
        {
            var token = Peek;
            if (Accept("."))
            {
                var name = Peek;
                if (name.Kind != TokenKind.Ident)
                {
                    throw Unexpected(name, "a field or method name");
                }

                position++;
                if (Accept("("))
                {
                    var args = ParseArgs(")");
                    node = Bounded(MakeCall(node.Offset, name, node, args));
                }
                else
                {
                    node = Bounded(new Select(node.Offset, End - node.Offset, node, name.Text, name.Offset));
                }
            }
            else if (Accept("["))
            {
                var index = ParseExpr();
                Expect("]");
                node = Bounded(new IndexNode(node.Offset, End - node.Offset, node, index));
            }
            else
            {
                return node;
            }
        }
    }

    private Node MakeCall(int start, Token name, Node? target, Node[] args)
    {
        var length = End - start;
        if (target is not null && MacroNames.Contains(name.Text) && args.Length == 2)
        {
            if (args[0] is not Ident variable || variable.Name is "item" or "params")
            {
                throw Error(args[0].Offset, args[0].Length, $"The first argument of {name.Text} must be a new variable name.",
                    $"Write it as list.{name.Text}(x, …).");
            }

            return new Macro(start, length, name.Text, target, variable.Name, args[1]);
        }

        if (target is null && name.Text == "has")
        {
            if (args.Length != 1 || args[0] is not Select select)
            {
                throw Error(name.Offset, length, "has() takes one field selection, like has(item.field).");
            }

            return new Has(start, length, select);
        }

        return new Call(start, length, name.Text, target, args, name.Offset);
    }

    private Node[] ParseArgs(string close)
    {
        var args = new List<Node>();
        if (Accept(close))
        {
            return [.. args];
        }

        do
        {
            if (Peek.Kind == TokenKind.Punct && Peek.Text == close && args.Count > 0)
            {
                break;
            }

            args.Add(ParseExpr());
        }
        while (Accept(","));
        Expect(close);
        return [.. args];
    }

    private Node ParsePrimary()
    {
        var token = Peek;
        position++;
        switch (token.Kind)
        {
            case TokenKind.Int:
                if (token.Int > long.MaxValue)
                {
                    throw Error(token.Offset, token.Length, $"The integer {token.Text} is out of range.", "Integers are 64-bit signed.");
                }

                return new Literal(token.Offset, token.Length, new IntValue((long)token.Int));
            case TokenKind.Double or TokenKind.String:
                return new Literal(token.Offset, token.Length, token.Value!);
            case TokenKind.Ident:
                switch (token.Text)
                {
                    case "true": return new Literal(token.Offset, token.Length, RuleValue.True);
                    case "false": return new Literal(token.Offset, token.Length, RuleValue.False);
                    case "null": return new Literal(token.Offset, token.Length, RuleValue.Null);
                    case "in":
                        throw Unexpected(token, "a value");
                    case var reserved when Reserved.Contains(reserved):
                        throw Error(token.Offset, token.Length, $"'{reserved}' is a reserved word.", "The rule language has no statements or loops.");
                }

                if (Accept("("))
                {
                    return MakeCall(token.Offset, token, null, ParseArgs(")"));
                }

                return new Ident(token.Offset, token.Length, token.Text);
            case TokenKind.Punct when token.Text == "(":
                var inner = ParseExpr();
                Expect(")");
                return inner;
            case TokenKind.Punct when token.Text == "[":
                var items = ParseArgs("]");
                return Bounded(new ListNode(token.Offset, End - token.Offset, items));
            case TokenKind.Punct when token.Text == "{":
                return ParseMap(token);
            default:
                position--;
                throw Unexpected(token, "a value");
        }
    }

    private Node ParseMap(Token open)
    {
        var keys = new List<Node>();
        var values = new List<Node>();
        while (!Accept("}"))
        {
            keys.Add(ParseExpr());
            Expect(":");
            values.Add(ParseExpr());
            if (!Accept(","))
            {
                Expect("}");
                break;
            }
        }

        return Bounded(new MapNode(open.Offset, End - open.Offset, [.. keys], [.. values]));
    }
}
