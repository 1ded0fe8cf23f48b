namespace Trellis.Engine.Contracts;

/// <summary>What a plan does to an object of the site.</summary>
public enum ChangeKind
{
    Add,
    Remove,
    Change,
}

/// <summary>One object of the site that a plan adds, removes or changes, e.g. nodepool payments/linuxpool: count 3 → 5.</summary>
public sealed record ObjectChange(ChangeKind Kind, string Type, string Name, string Detail);
