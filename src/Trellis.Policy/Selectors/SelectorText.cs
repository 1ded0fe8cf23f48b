namespace Trellis.Policy.Selectors;

/// <summary>The lexical rules that both the parser and the canonical printer follow.</summary>
internal static class SelectorText
{
    /// <summary>Calico's longest label key (`MaxLabelLength` in libcalico-go's tokenizer).</summary>
    public const int MaxLabelLength = 512;

    public static bool IsLabelChar(char c) =>
        char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '/' or '-';

    /// <summary>Calico separates tokens with spaces and tabs only.</summary>
    public static bool IsSpace(char c) => c is ' ' or '\t';

    public static bool IsQuote(char c) => c is '"' or '\'';

    public static string RequireLabel(string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        if (label.Length is 0 or > MaxLabelLength || !label.All(IsLabelChar))
        {
            throw new ArgumentException(
                $"'{label}' is not a selector label: use 1 to {MaxLabelLength} of the characters A-Z a-z 0-9 _ . / -", nameof(label));
        }

        return label;
    }

    /// <summary>Calico strings have no escapes, so a value can hold one kind of quote but not both.</summary>
    public static string RequireQuotable(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Contains('"', StringComparison.Ordinal) && value.Contains('\'', StringComparison.Ordinal))
        {
            throw new ArgumentException("a selector string cannot hold both a single and a double quote", nameof(value));
        }

        return value;
    }

    public static string Quote(string value) =>
        value.Contains('"', StringComparison.Ordinal) ? $"'{value}'" : $"\"{value}\"";
}
