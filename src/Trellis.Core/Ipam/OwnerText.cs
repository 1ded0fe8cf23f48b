namespace Trellis.Core.Ipam;

/// <summary>
/// An owner's text split at '/' without a string per part: the parts are ranges of the text, and only the names an owner
/// keeps become strings (from the <see cref="NameTable"/> of the read, when there is one).
/// </summary>
internal readonly ref struct OwnerText
{
    /// <summary>The most parts an owner's text has (a NodePort's: <c>service/C/NS/NAME/PROTOCOL/PORT</c>).</summary>
    public const int MaxParts = 6;

    private readonly ReadOnlySpan<char> text;
    private readonly Span<Range> parts;

    /// <param name="ranges">At least <see cref="MaxParts"/> + 1 ranges: a text of more parts than that is counted as one more than the most.</param>
    public OwnerText(ReadOnlySpan<char> text, Span<Range> ranges, NameTable? names)
    {
        this.text = text;
        Count = text.Split(ranges, '/');
        parts = ranges[..Count];
        Table = names;
    }

    /// <summary>How many parts; <see cref="MaxParts"/> + 1 for any text of more.</summary>
    public int Count { get; }

    public NameTable? Table { get; }

    public ReadOnlySpan<char> this[int index] => index < Count ? text[parts[index]] : [];

    /// <summary>Part <paramref name="index"/> as a string: a name an owner keeps.</summary>
    public string Name(int index) => NameTable.Get(Table, this[index]);

    public bool Names(int first) => !this[first].IsEmpty;

    public bool Names(int first, int second) => !this[first].IsEmpty && !this[second].IsEmpty;

    public bool Names(int first, int second, int third) => !this[first].IsEmpty && !this[second].IsEmpty && !this[third].IsEmpty;

    /// <summary>The service of parts 1–3: <c>service/C/NS/NAME</c>.</summary>
    public ServiceRef Service() => new(Name(1), Name(2), Name(3));
}

/// <summary>
/// The names read from many owner texts at once (a stored state's tens of thousands), each kept as one string: one per
/// cluster, namespace or node pool, not one per owner. Not for use by several threads at once.
/// </summary>
public sealed class NameTable
{
    private readonly Dictionary<string, string> names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> lookup;

    public NameTable()
    {
        lookup = names.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>The string of <paramref name="name"/>, the same one each time it is asked for.</summary>
    public string Get(ReadOnlySpan<char> name)
    {
        if (!lookup.TryGetValue(name, out var known))
        {
            known = name.ToString();
            names.Add(known, known);
        }

        return known;
    }

    internal static string Get(NameTable? table, ReadOnlySpan<char> name) => table is null ? name.ToString() : table.Get(name);
}
