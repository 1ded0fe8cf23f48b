using System.Globalization;

namespace Trellis.StoreLoad;

/// <summary>What a load process did to one address, as one line of its log.</summary>
public enum LoadEventKind
{
    /// <summary>A create of the address, acknowledged: the worker holds it from <see cref="LoadEvent.Revision"/>.</summary>
    Take,

    /// <summary>A delete of the address conditioned on the revision of the worker's take, acknowledged.</summary>
    Release,

    /// <summary>A create whose outcome the store could not tell (a <c>StoreException</c>): the worker forgets it.</summary>
    UnknownTake,

    /// <summary>A release whose outcome the store could not tell: the worker forgets the address.</summary>
    UnknownRelease,

    /// <summary>A release that conflicted: someone else changed an address the worker held. Never expected.</summary>
    ReleaseConflict,
}

/// <summary>
/// One line of a load log: the address (the item key), the value the take wrote (owner and sequence), the revision of the
/// commit (0 when unknown) and, for a release, the revision of the take it releases (its condition).
/// </summary>
public sealed record LoadEvent(LoadEventKind Kind, string Key, string Value, long Revision, long HeldRevision)
{
    public string Format() => string.Join('\t', Kind, Key, Value, Revision.ToString(CultureInfo.InvariantCulture), HeldRevision.ToString(CultureInfo.InvariantCulture));

    /// <exception cref="FormatException">The line is not a load log line.</exception>
    public static LoadEvent Parse(string line)
    {
        var fields = line.Split('\t');
        return fields.Length == 5 && Enum.TryParse<LoadEventKind>(fields[0], out var kind)
            ? new LoadEvent(kind, fields[1], fields[2], long.Parse(fields[3], CultureInfo.InvariantCulture), long.Parse(fields[4], CultureInfo.InvariantCulture))
            : throw new FormatException($"Not a load log line: '{line}'.");
    }
}

/// <summary>What one load process did, printed as its last line of output (JSON).</summary>
public sealed record LoadSummary(
    string Owner,
    int Threads,
    long Attempted,
    long Takes,
    long Releases,
    long TakeConflicts,
    long ReleaseConflicts,
    long Unknown,
    double Seconds);
