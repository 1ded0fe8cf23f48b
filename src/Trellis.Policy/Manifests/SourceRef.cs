namespace Trellis.Policy.Manifests;

/// <summary>Where an object came from: a file and its document number (1-based, as a person counts the <c>---</c> documents).</summary>
public sealed record SourceRef(string File, int Document)
{
    public static SourceRef None { get; } = new("(built)", 0);

    /// <summary>A finding path such as <c>file.yaml#2 spec.ingress[0].ports[1].port</c>.</summary>
    public string Path(string? field = null) =>
        string.IsNullOrEmpty(field) ? $"{File}#{Document}" : $"{File}#{Document} {field}";

    public override string ToString() => Path();
}

/// <summary>A document that was read but not analysed (an unknown kind, a resource Trellis does not model).</summary>
public sealed record LoadNote(SourceRef Source, string Kind, string Name, string Message)
{
    public override string ToString() => $"{Source}: {Kind} {Name}: {Message}";
}
