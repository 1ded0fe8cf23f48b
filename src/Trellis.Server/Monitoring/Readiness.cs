using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Trellis.Server.Monitoring;

/// <summary>One check of /readyz: its name, whether it passed, and what was found.</summary>
public sealed record ReadinessCheck(string Name, bool Ok, string Detail);

/// <summary>/readyz: whether the server can serve its fleet (200) or not (503), check by check.</summary>
public sealed record Readiness(string Status, IReadOnlyList<ReadinessCheck> Checks);

/// <summary>
/// The readiness checks: the fleet's folder is readable and writable (a file is made and removed), and every site's state
/// file opens and answers its revision. The answer is public (a probe has no token), so it counts sites without naming
/// them; the log names the ones that failed.
/// </summary>
public static class ReadinessChecks
{
    public static async Task<IResult> AnswerAsync(Fleet fleet, ILoggerFactory logs, CancellationToken cancellationToken)
    {
        var logger = logs.CreateLogger(typeof(ReadinessChecks).FullName!);
        var checks = new List<ReadinessCheck> { await FolderAsync(fleet, logger, cancellationToken).ConfigureAwait(false) };
        if (checks[0].Ok)
        {
            checks.Add(await SitesAsync(fleet, logger, cancellationToken).ConfigureAwait(false));
        }

        var ready = checks.All(c => c.Ok);
        return TypedResults.Json(new Readiness(ready ? "ready" : "not ready", checks), ServerJson.Default.Readiness,
            statusCode: ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    private static async Task<ReadinessCheck> FolderAsync(Fleet fleet, ILogger logger, CancellationToken cancellationToken)
    {
        var probe = Path.Combine(fleet.SitesDirectory, $".readyz-{Guid.NewGuid():N}");
        try
        {
            _ = await fleet.NamesAsync(cancellationToken).ConfigureAwait(false);
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
            return new ReadinessCheck("data", true, "The fleet's store and folder are readable and writable.");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Stores.FleetStoreException)
        {
            logger.LogWarning("Readiness: the fleet's store ({Store}) or folder {Folder} is not usable: {Reason}", fleet.Describe, fleet.SitesDirectory, e.Message);
            return new ReadinessCheck("data", false, "The fleet's store or folder cannot be read or written; the server's log says why.");
        }
    }

    private static async Task<ReadinessCheck> SitesAsync(Fleet fleet, ILogger logger, CancellationToken cancellationToken)
    {
        var names = await fleet.NamesAsync(cancellationToken).ConfigureAwait(false);
        var failed = 0;
        foreach (var name in names)
        {
            try
            {
                await using var session = fleet.Open(name, write: false);
                _ = await session.Engine.ReadRevisionAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (Trellis.Engine.EngineFailures.Classify(e) is not null || e is IOException or UnauthorizedAccessException)
            {
                failed++;
                logger.LogWarning("Readiness: the state file of site {Site} does not open: {Reason}", name, e.Message);
            }
        }

        return failed == 0
            ? new ReadinessCheck("sites", true, $"Every site's state file opens ({names.Count}).")
            : new ReadinessCheck("sites", false, $"{failed} of {names.Count} site state files do not open; the server's log names them.");
    }
}
