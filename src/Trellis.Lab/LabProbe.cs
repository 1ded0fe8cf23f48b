using System.Text.Json;
using Trellis.Engine.Contracts;

namespace Trellis.Lab;

/// <summary>A node VM of a running lab, as its namespace says: read from the kernel, not from the store.</summary>
public sealed record LabProbeNode(string Namespace, string Owner, string Address, string? Gateway);

/// <summary>One ping from a node VM's namespace to another node's address or to its gateway.</summary>
/// <param name="To">The other node's owner, or <c>gateway</c>.</param>
public sealed record LabProbePair(string From, string To, string Address, bool Reachable);

/// <summary>
/// What <see cref="LabProbe.RunAsync"/> saw: every node, every pair with whether a ping got through, and the unreachable
/// pairs on their own; or the findings that say why nothing was probed.
/// </summary>
public sealed record LabProbeResult(string Lab, IReadOnlyList<LabProbeNode> Nodes, IReadOnlyList<LabProbePair> Pairs, IReadOnlyList<Finding> Findings)
{
    public IReadOnlyList<LabProbePair> Unreachable => [.. Pairs.Where(p => !p.Reachable)];
}

/// <summary>
/// Probes a running lab: from every node VM's namespace, one ping (count 1, timeout 1 s) to every other node's address and
/// to the node's gateway. The nodes and their addresses are read from the namespaces, so the probe tests what is running.
/// </summary>
public static class LabProbe
{
    /// <summary>Pings at once at most: each waits at most a second, and the machine may be small.</summary>
    public const int Parallel = 8;

    public static async Task<LabProbeResult> RunAsync(LabNames names, LabCommands? commands = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (!LabCommands.IsRoot)
        {
            return new(names.Lab, [], [], [LabNetwork.NeedsRoot()]);
        }

        var ip = commands ?? new LabCommands();
        var namespaces = await ip.NamespacesAsync(cancellationToken).ConfigureAwait(false);
        if (!namespaces.Contains(names.Fabric))
        {
            return new(names.Lab, [], [], [NoLab(names)]);
        }

        var nodes = new List<LabProbeNode>();
        foreach (var (ns, _) in namespaces.Select(n => (n, names.NodeIndex(n))).Where(x => x.Item2 is not null).OrderBy(x => x.Item2))
        {
            var link = First(await ip.IpAsync(ns, ["-j", "link", "show", "dev", LabNames.NodeInterface], cancellationToken).ConfigureAwait(false));
            var address = First(await ip.IpAsync(ns, ["-j", "-4", "addr", "show", "dev", LabNames.NodeInterface], cancellationToken).ConfigureAwait(false))
                .GetProperty("addr_info").EnumerateArray().Select(a => a.GetProperty("local").GetString()).FirstOrDefault();
            var route = First(await ip.IpAsync(ns, ["-j", "route", "show", "default"], cancellationToken).ConfigureAwait(false));
            nodes.Add(new LabProbeNode(ns, link.TryGetProperty("ifalias", out var alias) ? alias.GetString() ?? ns : ns, address ?? "",
                route.ValueKind == JsonValueKind.Object && route.TryGetProperty("gateway", out var gw) ? gw.GetString() : null));
        }

        var pairs = nodes.SelectMany(from => nodes.Where(to => to != from && to.Address.Length > 0).Select(to => (from, To: to.Owner, to.Address))
            .Concat(from.Gateway is { } g ? [(from, "gateway", g)] : [])).ToList();
        using var slots = new SemaphoreSlim(Parallel);
        var results = await Task.WhenAll(pairs.Select(async pair =>
        {
            await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var run = await ip.ExecAsync(pair.from.Namespace, "ping", ["-c", "1", "-W", "1", "-n", "-q", pair.Address], cancellationToken).ConfigureAwait(false);
                return new LabProbePair(pair.from.Owner, pair.To, pair.Address, run.Succeeded);
            }
            finally
            {
                slots.Release();
            }
        })).ConfigureAwait(false);
        return new(names.Lab, nodes, results, []);
    }

    internal static Finding NoLab(LabNames names) => Finding.Error("LabNotUp", "name", $"No lab '{names.Lab}' is up (no namespace {names.Fabric}).",
        "Bring it up with trellis lab up, or name a lab that is up with --name.");

    private static JsonElement First(string json)
    {
        var root = LabNetwork.Json(json);
        return root.ValueKind == JsonValueKind.Array && root.GetArrayLength() > 0 ? root[0] : default;
    }
}
