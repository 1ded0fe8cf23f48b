namespace Trellis.Policy.Selectors;

/// <summary>
/// Recursive descent over the text, following libcalico-go's tokenizer and parser: the same inputs are valid, the first
/// problem from the left is reported with its column, and nothing is thrown for bad input.
/// </summary>
internal sealed class SelectorParser
{
    /// <summary>Parentheses and `!` nest at most this deep, so that hostile input cannot exhaust the stack.</summary>
    public const int MaxDepth = 100;

    private const string Operand = "a label, has(…), all(), global(), '!' or '('";
    private const string Operators = "==, !=, in, not in, contains, starts with or ends with";

    private readonly string _text;
    private int _position;
    private int _depth;
    private SelectorParseError? _error;

    private SelectorParser(string text) => _text = text;

    public static Selector? Parse(string text, out SelectorParseError? error)
    {
        var parser = new SelectorParser(text);
        var selector = parser.ParseSelector();
        error = parser._error;
        return selector;
    }

    private bool AtEnd => _position >= _text.Length;

    private char Current => _text[_position];

    private Selector? ParseSelector()
    {
        SkipSpaces();
        if (AtEnd)
        {
            return Selector.All;
        }

        var selector = ParseOr();
        if (selector is null)
        {
            return null;
        }

        SkipSpaces();
        return AtEnd ? selector : Fail(_position, $"unexpected {Describe(_position)} after a complete expression; join expressions with && or ||");
    }

    private Selector? ParseOr()
    {
        var first = ParseAnd();
        if (first is null)
        {
            return null;
        }

        List<Selector>? terms = null;
        while (SkipSpaces() && Peek('|'))
        {
            if (!Peek("||"))
            {
                return Fail(_position, "unknown operator '|'; use '||' for or");
            }

            _position += 2;
            var next = ParseAnd();
            if (next is null)
            {
                return null;
            }

            (terms ??= [first]).Add(next);
        }

        return terms is null ? first : new OrSelector(terms);
    }

    private Selector? ParseAnd()
    {
        var first = ParseUnary();
        if (first is null)
        {
            return null;
        }

        List<Selector>? terms = null;
        while (SkipSpaces() && Peek('&'))
        {
            if (!Peek("&&"))
            {
                return Fail(_position, "unknown operator '&'; use '&&' for and");
            }

            _position += 2;
            var next = ParseUnary();
            if (next is null)
            {
                return null;
            }

            (terms ??= [first]).Add(next);
        }

        return terms is null ? first : new AndSelector(terms);
    }

    private Selector? ParseUnary()
    {
        SkipSpaces();
        if (!Peek('!') || Peek("!="))
        {
            return ParseOperand();
        }

        if (!Enter())
        {
            return null;
        }

        _position++;
        var operand = ParseUnary();
        _depth--;
        return operand is null ? null : new NotSelector(operand);
    }

    private Selector? ParseOperand()
    {
        if (AtEnd)
        {
            return Fail(_position, $"unexpected end of selector; expected {Operand}");
        }

        var start = _position;
        if (Peek('('))
        {
            if (!Enter())
            {
                return null;
            }

            _position++;
            var inner = ParseOr();
            if (inner is null)
            {
                return null;
            }

            SkipSpaces();
            if (!Peek(')'))
            {
                return Fail(_position, AtEnd
                    ? $"missing ')' to close the '(' at column {start + 1}"
                    : $"expected ')' to close the '(' at column {start + 1}, found {Describe(_position)}");
            }

            _position++;
            _depth--;
            return inner;
        }

        if (Peek("has("))
        {
            return ParseHas();
        }

        if (Peek("all("))
        {
            return ParseEmptyCall("all(".Length, "all()") ? Selector.All : null;
        }

        if (Peek("global("))
        {
            return ParseEmptyCall("global(".Length, "global()") ? new GlobalSelector() : null;
        }

        if (SelectorText.IsLabelChar(Current))
        {
            return ParseComparison();
        }

        if (SelectorText.IsQuote(Current))
        {
            return Fail(start, "a string cannot come first: the label goes on the left, as in label == \"value\"");
        }

        return Fail(start, $"unexpected {Describe(start)}; expected {Operand}");
    }

    private Selector? ParseHas()
    {
        _position += "has(".Length;
        SkipSpaces();
        var label = ReadLabel("has(");
        if (label is null)
        {
            return null;
        }

        SkipSpaces();
        if (!Peek(')'))
        {
            return Fail(_position, $"expected ')' to close has({label}, found {Describe(_position)}");
        }

        _position++;
        return new HasSelector(label);
    }

    private bool ParseEmptyCall(int length, string name)
    {
        _position += length;
        SkipSpaces();
        if (!Peek(')'))
        {
            Fail(_position, $"expected ')': {name} takes no arguments, found {Describe(_position)}");
            return false;
        }

        _position++;
        return true;
    }

    private Selector? ParseComparison()
    {
        var label = ReadLabel("the start of an expression");
        if (label is null)
        {
            return null;
        }

        SkipSpaces();
        var op = _position;
        if (AtEnd)
        {
            return Fail(op, $"unexpected end of selector after label '{label}'; expected {Operators}");
        }

        if (Peek("=="))
        {
            _position += 2;
            return ReadString("'=='") is { } value ? new EqualsSelector(label, value) : null;
        }

        if (Peek("!="))
        {
            _position += 2;
            return ReadString("'!='") is { } value ? new NotEqualsSelector(label, value) : null;
        }

        if (Peek("contains"))
        {
            _position += "contains".Length;
            return ReadString("'contains'") is { } value ? new ContainsSelector(label, value) : null;
        }

        if (Peek("starts"))
        {
            return ReadWord("starts", "with") && ReadString("'starts with'") is { } value ? new StartsWithSelector(label, value) : null;
        }

        if (Peek("ends"))
        {
            return ReadWord("ends", "with") && ReadString("'ends with'") is { } value ? new EndsWithSelector(label, value) : null;
        }

        if (Peek("not"))
        {
            return ReadWord("not", "in") && ReadSet("'not in'") is { } values ? new NotInSelector(label, values) : null;
        }

        if (Peek("in"))
        {
            _position += "in".Length;
            return ReadSet("'in'") is { } values ? new InSelector(label, values) : null;
        }

        if (Peek('=') || Peek('!'))
        {
            return Fail(op, $"unknown operator '{Current}'; expected {Operators}");
        }

        if (Peek('(') && label is "has" or "all" or "global")
        {
            return Fail(op, $"'{label}' must be followed directly by '(': remove the space before it");
        }

        return Fail(op, $"expected an operator after label '{label}' ({Operators}), found {Describe(op)}");
    }

    /// <summary>Reads the first word of a two-word operator and then, after optional spaces, its second word.</summary>
    private bool ReadWord(string first, string second)
    {
        _position += first.Length;
        SkipSpaces();
        if (Peek(second))
        {
            _position += second.Length;
            return true;
        }

        Fail(_position, $"expected '{second}' after '{first}', found {Describe(_position)}");
        return false;
    }

    private string? ReadLabel(string after)
    {
        var start = _position;
        while (!AtEnd && SelectorText.IsLabelChar(Current))
        {
            _position++;
        }

        var length = _position - start;
        if (length == 0)
        {
            return Fail<string>(start, $"expected a label after {after}, found {Describe(start)}");
        }

        return length > SelectorText.MaxLabelLength
            ? Fail<string>(start, $"label is {length} characters long; the longest Calico accepts is {SelectorText.MaxLabelLength}")
            : _text.Substring(start, length);
    }

    private string? ReadString(string after)
    {
        SkipSpaces();
        if (AtEnd || !SelectorText.IsQuote(Current))
        {
            return Fail<string>(_position, $"expected a quoted string after {after}, found {Describe(_position)}");
        }

        var quote = Current;
        var close = _text.IndexOf(quote, _position + 1);
        if (close < 0)
        {
            return Fail<string>(_position, $"unterminated string: no closing {quote} for the one at column {_position + 1}");
        }

        var value = _text.Substring(_position + 1, close - _position - 1);
        _position = close + 1;
        return value;
    }

    /// <summary>`{ "a", 'b' }`: empty sets and a trailing comma are allowed, as in Calico.</summary>
    private List<string>? ReadSet(string after)
    {
        SkipSpaces();
        if (!Peek('{'))
        {
            return Fail<List<string>>(_position, $"expected '{{' to start the set of values after {after}, found {Describe(_position)}");
        }

        var open = _position++;
        var values = new List<string>();
        while (SkipSpaces() && !Peek('}'))
        {
            if (AtEnd)
            {
                return Fail<List<string>>(_position, $"missing '}}' to close the set opened at column {open + 1}");
            }

            if (!SelectorText.IsQuote(Current))
            {
                return Fail<List<string>>(_position, $"expected a quoted string or '}}' in the set, found {Describe(_position)}");
            }

            if (ReadString("'{'") is not { } value)
            {
                return null;
            }

            values.Add(value);
            SkipSpaces();
            if (Peek(','))
            {
                _position++;
            }
            else if (!Peek('}'))
            {
                return Fail<List<string>>(_position, AtEnd
                    ? $"missing '}}' to close the set opened at column {open + 1}"
                    : $"expected ',' or '}}' after a value in the set, found {Describe(_position)}");
            }
        }

        _position++;
        return values;
    }

    private bool Enter()
    {
        if (++_depth <= MaxDepth)
        {
            return true;
        }

        Fail(_position, $"selector nests parentheses and '!' more than {MaxDepth} deep");
        return false;
    }

    /// <summary>Always true, so that it can lead a loop condition.</summary>
    private bool SkipSpaces()
    {
        while (!AtEnd && SelectorText.IsSpace(Current))
        {
            _position++;
        }

        return true;
    }

    private bool Peek(char c) => !AtEnd && Current == c;

    private bool Peek(string s) => _text.AsSpan(_position).StartsWith(s, StringComparison.Ordinal);

    private string Describe(int position)
    {
        if (position >= _text.Length)
        {
            return "the end of the selector";
        }

        var c = _text[position];
        if (c is '\r' or '\n')
        {
            return "a line break (only spaces and tabs may separate tokens)";
        }

        if (char.IsControl(c) || char.IsWhiteSpace(c))
        {
            return $"character U+{(int)c:X4}";
        }

        if (SelectorText.IsLabelChar(c))
        {
            var end = position;
            while (end < _text.Length && end - position < 40 && SelectorText.IsLabelChar(_text[end]))
            {
                end++;
            }

            return $"'{_text[position..end]}'";
        }

        return $"'{c}'";
    }

    private Selector? Fail(int position, string message) => Fail<Selector>(position, message);

    private T? Fail<T>(int position, string message)
        where T : class
    {
        _error ??= new SelectorParseError(position + 1, message);
        return null;
    }
}
