namespace Trellis.Policy.Selectors;

/// <summary>Why a selector does not parse. Column is 1-based position in the input where the problem is.</summary>
public sealed record SelectorParseError(int Column, string Message);
