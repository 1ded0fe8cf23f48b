using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Trellis.Engine;

namespace Trellis.Server;

/// <summary>
/// The sites a server manages: one SQLite state file each, <c>&lt;data&gt;/sites/&lt;name&gt;.db</c>. A site's name in a URL
/// is checked before it becomes a path, so that no request can name a file outside the folder.
/// </summary>
public sealed partial class Fleet
{
    private readonly ServerOptions _options;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _turns = new(StringComparer.Ordinal);

    public Fleet(ServerOptions options)
    {
        _options = options;
        Directory.CreateDirectory(SitesDirectory);
    }

    public string SitesDirectory => Path.Combine(_options.DataDirectory, "sites");

    /// <summary>The sites there are, by name (ordinal order).</summary>
    public IReadOnlyList<string> Names() =>
        [.. Directory.EnumerateFiles(SitesDirectory, "*.db").Select(Path.GetFileNameWithoutExtension).OfType<string>()
            .Where(IsValidName).Order(StringComparer.Ordinal)];

    public bool Exists(string name) => IsValidName(name) && File.Exists(PathOf(name));

    /// <summary>The state file of site <paramref name="name"/>; the name must be valid (<see cref="IsValidName"/>).</summary>
    public string PathOf(string name) => IsValidName(name)
        ? Path.Combine(SitesDirectory, name + ".db")
        : throw new ArgumentException($"'{name}' is not a site name.", nameof(name));

    /// <summary>A session on a site's state: for writing, or for reading only (nothing is created).</summary>
    public EngineSession Open(string name, bool write) => EngineSession.OpenSqlite(PathOf(name), write, _options.Time);

    /// <summary>
    /// Waits for this server's turn to write site <paramref name="name"/>, held until disposed. This server's writes to one
    /// site take turns, so that they do not each plan on the same revision only for all but one to find it gone and plan
    /// again; writes from other processes (the CLI, another server) are still caught by the Engine's revision check.
    /// </summary>
    public async Task<IDisposable> WriteTurnAsync(string name, CancellationToken cancellationToken)
    {
        var turn = _turns.GetOrAdd(name, _ => new SemaphoreSlim(1, 1));
        await turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Turn(turn);
    }

    private sealed class Turn(SemaphoreSlim turn) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                turn.Release();
            }
        }
    }

    /// <summary>A site's name: a DNS-1123 label (lowercase letters, digits and '-', 1–63 characters), like the spec's names.</summary>
    public static bool IsValidName(string? name) => name is { Length: > 0 and <= 63 } && NamePattern().IsMatch(name);

    public const string NameRule = "a site name is 1–63 lowercase letters, digits and '-', starting and ending with a letter or digit";

    [GeneratedRegex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
