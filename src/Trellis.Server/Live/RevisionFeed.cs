using System.Runtime.CompilerServices;
using Trellis.Engine;

namespace Trellis.Server.Live;

/// <summary>Until the Engine has a change feed of its own: the revisions polled every <c>pollInterval</c>.</summary>
internal static class RevisionFeed
{
    public static async IAsyncEnumerable<long> WatchRevisionsAsync(this TrellisEngine engine, TimeSpan pollInterval, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var last = await engine.ReadRevisionAsync(cancellationToken).ConfigureAwait(false);
        yield return last;
        while (true)
        {
            await Task.Delay(pollInterval, cancellationToken).ConfigureAwait(false);
            var revision = await engine.ReadRevisionAsync(cancellationToken).ConfigureAwait(false);
            if (revision != last)
            {
                last = revision;
                yield return revision;
            }
        }
    }
}
