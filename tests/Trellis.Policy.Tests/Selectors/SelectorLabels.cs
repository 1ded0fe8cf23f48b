namespace Trellis.Policy.Tests.Selectors;

/// <summary>Label maps written compactly in test data: "a=b;c=d", "" for no labels.</summary>
internal static class SelectorLabels
{
    public static Dictionary<string, string> Of(string spec) =>
        spec.Length == 0
            ? []
            : spec.Split(';').Select(pair => pair.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1], StringComparer.Ordinal);
}
