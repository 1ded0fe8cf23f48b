using Trellis.Core.Ipam;
using Trellis.Core.Planning;
using Trellis.Core.Validation;
using Trellis.Engine.Contracts;
using Allocation = Trellis.Core.Ipam.Allocation;
using Trellis.Policy;
using Trellis.Policy.Connectivity;
using Trellis.Policy.Evaluation;
using Trellis.Policy.Lint;
using Trellis.Policy.Manifests;
using Trellis.Policy.Trace;
using Finding = Trellis.Core.Validation.Finding;

namespace Trellis.Engine;

/// <summary>One direction's verdict in plain words, for front ends.</summary>
public sealed record DirectionAnswer(string Direction, string Endpoint, bool Allowed, string Decision, string Explanation, string? Tier, string? Policy, string? Rule, string? Action)
{
    /// <summary>The deciding rule's own name, when its policy names rules (an AdminNetworkPolicy's <c>name</c>).</summary>
    public string? RuleName { get; init; }

    /// <summary>The deciding AdminNetworkPolicy's priority.</summary>
    public int? Priority { get; init; }
}

public sealed record CheckAnswer(string Flow, bool Allowed, bool Enforced, string? Note, DirectionAnswer Egress, DirectionAnswer Ingress);

/// <summary>
/// Network policy questions for every front end: load manifests given as texts (placing pods in a planned cluster when
/// a context is given), then check one flow, compute the connectivity matrix, diff two policy sets, lint, or trace a
/// packet. Finding paths name the question's parts: <c>from</c>, <c>to</c>, <c>port</c>, <c>cluster</c>, <c>manifests</c>.
/// </summary>
public static class NetworkPolicyService
{
    /// <summary>Loads manifests as one apply, grouped as <paramref name="choices"/> say and placed in <paramref name="context"/>'s pod network.</summary>
    public static ManifestSet Load(IEnumerable<ManifestText> manifests, PolicyContext? context = null, PolicyChoices? choices = null)
    {
        choices ??= PolicyChoices.Default;
        return Place(Read(manifests).ByOwner(choices.View), context, choices);
    }

    /// <summary>The two sides of a diff, each grouped by owner as the other's selectors too can see it.</summary>
    public static ManifestPair LoadPair(IEnumerable<ManifestText> before, IEnumerable<ManifestText> after, PolicyContext? context = null, PolicyChoices? choices = null)
    {
        choices ??= PolicyChoices.Default;
        var was = Read(before);
        var now = Read(after);
        return new(Place(was.ByOwner(choices.View, now), context, choices), Place(now.ByOwner(choices.View, was), context, choices));
    }

    private static PolicySet Read(IEnumerable<ManifestText> manifests) => ManifestLoader.Load(manifests.Select(m => (m.Name, m.Text)));

    /// <summary>Places the pods in the cluster's planned pod network, and says when they outnumber what its nodes hold.</summary>
    private static ManifestSet Place(PolicySet set, PolicyContext? context, PolicyChoices choices)
    {
        if (context is not null)
        {
            var placed = set.AssignAddresses(context.Site, context.Cluster, context.Allocations);
            set = placed with { Findings = [.. placed.Findings, .. ManifestPodCapacity.Check(placed, context)] };
        }

        return new ManifestSet(set, context, choices);
    }

    internal static PolicyOptions Options(PolicyContext? context, PolicyChoices? choices = null) =>
        (context is null ? PolicyOptions.Calico : PolicyOptions.ForCluster(context.ResolvedCluster)) with
        {
            HostNetworkPoliced = (choices ?? PolicyChoices.Default).HostNetworkPoliced,
        };

    private static PolicyOptions Options(ManifestSet set) => Options(set.Context, set.Choices);

    /// <summary>
    /// NothingToAnalyse when the manifests hold nothing the question can be asked of: no workload (for a matrix or a
    /// diff), or neither a workload nor a policy.
    /// </summary>
    public static IReadOnlyList<Contracts.Finding> NothingToAnalyse(bool needsWorkloads, params ManifestSet[] sets) =>
        sets.Any(s => s.Set.HasAnalysable(needsWorkloads))
            ? []
            : [Contracts.Finding.Error("NothingToAnalyse", "manifests",
                needsWorkloads
                    ? "Nothing analysable was found in the manifests: no workload (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob…)."
                    : "Nothing analysable was found in the manifests: no workload and no network policy.",
                "Check the manifests given; the kinds that were skipped are named in their summary (ManifestSet.NotAnalysedSummary; the CLI prints it as a note).")];

    /// <summary>PolicyNotEnforced when the cluster's plugin enforces no policy: for answers (JSON, CSV, a diff) that carry no note of their own.</summary>
    public static IReadOnlyList<Contracts.Finding> NotEnforced(PolicyContext? context) =>
        Options(context).Enforcing
            ? []
            : [Contracts.Finding.Warning("PolicyNotEnforced", "cluster",
                $"Cluster '{context!.Cluster}' runs {context.ResolvedCluster.Spec.PrimaryNetworkPlugin}, which enforces no network policy: every connection is allowed whatever the policies say.",
                "Use Calico (primaryNetworkPlugin: calico) where network policy matters; the plugin cannot be changed after deployment.")];

    /// <summary>The cluster context from a site spec text planned from scratch, or none with findings (those of reading the spec too).</summary>
    public static PolicyResult<PolicyContext> ContextFromSpec(string yaml, string? cluster, DateTimeOffset now)
    {
        var read = SiteSpecs.Parse(yaml);
        if (read.Document is not { } spec)
        {
            return new(null, read.Findings);
        }

        var context = ContextFromSpec(spec, cluster, now);
        return context with { Findings = [.. read.Findings, .. context.Findings] };
    }

    /// <summary>The cluster context from a site spec planned from scratch, or none with findings.</summary>
    public static PolicyResult<PolicyContext> ContextFromSpec(SpecDocument spec, string? cluster, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var validation = SiteValidator.Validate(spec.Spec);
        if (validation.Site is not { } site)
        {
            return new(null, validation.Findings.ToContract());
        }

        return ContextFrom(site, SitePlanner.Plan(site, [], now).Result, cluster);
    }

    /// <summary>The cluster context from the stored site and its allocations, or none with findings (no site is stored, it no longer resolves, no such cluster).</summary>
    public static async Task<PolicyResult<PolicyContext>> PolicyContextAsync(this TrellisEngine engine, string? cluster, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(engine);
        var state = await engine.ReadAsync(cancellationToken).ConfigureAwait(false);
        // A stored site that breaks rules added since is not "no site": say what stops it (StoredSiteUnresolved).
        return SiteViews.Resolve(state) is { } site
            ? ContextFrom(site, state.Allocations, cluster)
            : new(null, state.Spec is null ? [TrellisEngine.NoSite.ToContract()] : SiteViews.Findings(state));
    }

    /// <summary>The named cluster of a planned site (the only one when no name is given).</summary>
    internal static PolicyResult<PolicyContext> ContextFrom(ResolvedSite site, IReadOnlyList<Allocation> allocations, string? cluster)
    {
        var name = cluster ?? (site.Clusters.Count == 1 ? site.Clusters[0].Name : null);
        if (name is null || site.Clusters.All(c => c.Name != name))
        {
            return new(null, [Contracts.Finding.Error("UnknownCluster", "cluster",
                name is null ? "The site has several clusters; say which one the manifests run in." : $"The site has no cluster '{name}'.",
                $"Name one of: {string.Join(", ", site.Clusters.Select(c => c.Name))}.")]);
        }

        return new(new PolicyContext(site, name, allocations), []);
    }

    /// <summary>May <paramref name="from"/> talk to <paramref name="to"/> on <paramref name="port"/>, and which policy and rule decide it in each direction.</summary>
    public static PolicyResult<CheckAnswer> Check(ManifestSet manifests, string from, string to, string port)
    {
        var set = manifests.Set;
        var engine = PolicyEngine.Compile(set, Options(manifests));
        var findings = new List<Finding>();
        var source = Endpoint(engine, set, from, "from", findings);
        var destination = Endpoint(engine, set, to, "to", findings);
        var (protocol, number, icmpType, icmpCode) = Port(port, findings);
        if (source is null || destination is null || findings.HasErrors())
        {
            return new(null, findings.ToContract());
        }

        var verdict = engine.Check(new Flow(source, destination, protocol, number) { IcmpType = icmpType, IcmpCode = icmpCode });
        return new(new CheckAnswer(verdict.Flow.ToString(), verdict.Allowed, verdict.Enforced, verdict.Note, Answer(verdict.Egress), Answer(verdict.Ingress)), findings.ToContract());
    }

    /// <summary>
    /// The network policy of <paramref name="manifests"/> compiled into one nftables script per pod of a lab
    /// (<see cref="Trellis.Policy.Nftables.PodFirewall"/>): <paramref name="replicas"/> maps each workload that runs (its
    /// matrix id, <c>namespace/name[Kind]</c>) to its pods' IPv4 addresses, one per replica, and the scripts are keyed by the
    /// pod's address. The engine compiles with the pods at those addresses, as the kernel will see them, and the kernel then
    /// decides every packet with the engine's semantics; a pod that could not be compiled has no script and a
    /// LabPolicyNotCompiled finding.
    /// </summary>
    public static (IReadOnlyDictionary<string, string> Scripts, IReadOnlyList<Contracts.Finding> Findings) PodFirewalls(ManifestSet manifests, IReadOnlyDictionary<string, IReadOnlyList<string>> replicas)
    {
        ArgumentNullException.ThrowIfNull(manifests);
        ArgumentNullException.ThrowIfNull(replicas);
        var compiled = Trellis.Policy.Nftables.PodFirewall.CompileReplicas(PolicyEngine.Compile(manifests.WithAddresses(replicas).Set, Options(manifests)),
            replicas.ToDictionary(a => a.Key, IReadOnlyList<System.Net.IPAddress> (a) => [.. a.Value.Select(System.Net.IPAddress.Parse)], StringComparer.Ordinal));
        return (compiled.Scripts, compiled.Findings.ToContract());
    }

    /// <summary>The whole matrix, for views that need its cells (the heatmap); <see cref="WriteMatrix"/> writes a matrix of any size.</summary>
    public static PolicyMatrix Matrix(ManifestSet manifests) => new(ConnectivityAnalyzer.Matrix(manifests.Set, Options(manifests)));

    /// <summary>Writes the matrix's lines as they are computed: a matrix of millions of lines is never held whole.</summary>
    public static void WriteMatrix(ManifestSet manifests, ConnectivityFormat format, TextWriter output)
    {
        var lines = ConnectivityAnalyzer.MatrixLines(manifests.Set, Options(manifests));
        switch (format)
        {
            case ConnectivityFormat.Json:
                ConnectivityJson.Write(lines, output);
                break;
            case ConnectivityFormat.Csv:
                ConnectivityCsv.Write(lines, output);
                break;
            default:
                ConnectivityText.Write(lines, output);
                break;
        }
    }

    /// <summary>Which connections the change from <see cref="ManifestPair.Before"/> to <see cref="ManifestPair.After"/> opens and closes.</summary>
    public static PolicyDiff Diff(ManifestPair pair) => new(ConnectivityAnalyzer.Diff(pair.Before.Set, pair.After.Set, Options(pair.After)));

    /// <summary>Policies that select nothing, shadowed rules, named ports that resolve nowhere, ipBlocks over pod CIDRs, Flannel and Windows limits.</summary>
    public static IReadOnlyList<Contracts.Finding> Lint(ManifestSet manifests) => PolicyLinter.Lint(manifests.Set, Options(manifests)).ToContract();

    /// <summary>The path a packet takes through the planned site, with the policy verdict at each hop; the manifests must have been loaded with a context.</summary>
    public static PolicyResult<TraceAnswer> Trace(ManifestSet manifests, string from, string to, string port)
    {
        if (manifests.Context is not { } context)
        {
            // Without the cluster no workload has an address to trace from or to: that is the one thing to fix.
            return new(null, [Contracts.Finding.Error("UnknownCluster", "cluster", "A trace follows the packet through a planned cluster, and no cluster was given.",
                "Load the manifests with the context of the cluster they run in (a site spec, or the stored site).")]);
        }

        var set = manifests.Set;
        var findings = new List<Finding>();

        TraceEndpoint(set, from, "from", findings);
        TraceEndpoint(set, to, "to", findings);
        var (protocol, number, icmpType, icmpCode) = Port(port, findings);
        if (findings.HasErrors())
        {
            return new(null, findings.ToContract());
        }

        var tracer = new PacketTracer(PolicyEngine.Compile(set, Options(manifests)), context.Site, context.Cluster, context.Allocations);
        var trace = tracer.Trace(new TraceRequest(from, to, protocol, number) { IcmpType = icmpType, IcmpCode = icmpCode });
        return new(new TraceAnswer(trace.Question, trace.Delivered, [.. trace.Hops.Select(h => new TracedHop(h.Where, h.What, h.Verdict, h.Dropped, h.Facts))], trace.Notes),
            findings.ToContract());
    }

    private static Endpoint? Endpoint(PolicyEngine engine, PolicySet set, string text, string option, List<Finding> findings)
    {
        if (Core.Addressing.IpNumber.TryParse(text, out var address))
        {
            return set.WorkloadAt(address) is { } w ? Policy.Evaluation.Endpoint.Of(w, address) : Policy.Evaluation.Endpoint.External(address);
        }

        if (set.Workload(text) is { } workload)
        {
            if (workload.Address is null)
            {
                findings.Add(Finding.Error("WorkloadHasNoAddress", option, $"Workload {workload.Id} has no IP address in the manifests.",
                    "Give the cluster the manifests run in (from a site spec or the stored site), so that pods get addresses from its planned overlay."));
                return null;
            }

            return engine.FindEndpoint(workload.Id) ?? Policy.Evaluation.Endpoint.Of(workload);
        }

        findings.Add(UnknownEndpoint(text, option, services: false));
        return null;
    }

    private static Finding UnknownEndpoint(string text, string option, bool services) =>
        Finding.Error("UnknownEndpoint", option, $"'{text}' is neither a workload of the manifests nor an IP address.",
            $"Write namespace/name (e.g. shop/web), namespace/name[Kind]{(services ? ", svc/namespace/name for a Service's ClusterIP" : "")}, or an IPv4 or IPv6 address.");

    /// <summary>A trace endpoint: a workload with an address, svc/namespace/name of a loaded Service, or an IP address.</summary>
    private static void TraceEndpoint(PolicySet set, string text, string option, List<Finding> findings)
    {
        if (Core.Addressing.IpNumber.TryParse(text, out _))
        {
            return;
        }

        if (text.StartsWith("svc/", StringComparison.Ordinal))
        {
            if (option == "from")
            {
                findings.Add(Finding.Error("UnknownEndpoint", option, $"'{text}' is a Service: a Service receives connections but never starts one.",
                    "Trace from the workload or address that sends the packet; the Service belongs at the destination (to)."));
                return;
            }

            if (set.Services.All(s => s.Id != text[4..]))
            {
                findings.Add(Finding.Error("UnknownService", option, $"No Service '{text[4..]}' in the manifests.",
                    set.Services.Count == 0 ? "The manifests declare no Service; add its manifest to them." : $"Use svc/ with one of: {string.Join(", ", set.Services.Select(s => s.Id).Take(10))}."));
            }

            return;
        }

        if (set.Workload(text) is not { } workload)
        {
            findings.Add(UnknownEndpoint(text, option, services: true));
        }
        else if (workload.Address is null)
        {
            findings.Add(Finding.Error("WorkloadHasNoAddress", option, $"Workload {workload.Id} has no IP address in the manifests or the site plan.",
                "Check that the cluster given is the one the manifests run in."));
        }
    }

    /// <summary>
    /// Parses "tcp/80", "udp/53", "sctp/9", a bare port (TCP), or "icmp" with an optional type and code ("icmp/8",
    /// "icmp/3/4"; also icmpv6); an InvalidPort finding says what is wrong.
    /// </summary>
    internal static (Protocol Protocol, int Port, int? IcmpType, int? IcmpCode) Port(string text, List<Finding> findings)
    {
        const string Hint = "Write tcp/80, udp/53, sctp/9, a bare port number for TCP (e.g. 443), icmp with an optional type and code (icmp, icmp/8, icmp/3/4), or a protocol without ports by number with a slash (47/ for GRE).";
        (Protocol, int, int?, int?) Invalid(string why)
        {
            findings.Add(Finding.Error("InvalidPort", "port", $"'{text}' is not a protocol and port: {why}.", Hint));
            return (Protocol.Tcp, 0, null, null);
        }

        var trimmed = text.Trim();
        if (trimmed.Length == 0)
        {
            return Invalid("it is empty");
        }

        var parts = trimmed.Split('/');
        var bare = parts.Length == 1 && trimmed.All(char.IsAsciiDigit);
        var protocolText = bare ? "TCP" : parts[0];
        if (!Protocol.TryParse(protocolText, out var protocol))
        {
            return Invalid($"'{protocolText}' is not a protocol (tcp, udp, sctp, icmp, icmpv6, udplite, or a number 1-255)");
        }

        static bool Number(string s, int max, out int value) =>
            int.TryParse(s, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out value) && value <= max;

        if (protocol.IsIcmp)
        {
            if (parts.Length > 3 || parts.Skip(1).Any(p => !Number(p, 255, out _)))
            {
                return Invalid($"{protocol} takes an optional type and code, each 0-255 (e.g. {protocol.Name.ToLowerInvariant()}/8 or {protocol.Name.ToLowerInvariant()}/3/4)");
            }

            int? type = parts.Length > 1 ? int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) : null;
            int? code = parts.Length > 2 ? int.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture) : null;
            return (protocol, 0, type, code);
        }

        if (!protocol.HasPorts)
        {
            // A name alone ("gre" is not one Trellis knows, so by number: "47/"); a bare number would be a TCP port.
            return parts.Length == 1 || (parts.Length == 2 && parts[1] is "" or "0")
                ? (protocol, 0, null, null)
                : Invalid($"{protocol} has no ports; write {protocolText}/ alone");
        }

        var portText = bare ? trimmed : parts.Length > 1 ? parts[1] : "";
        if (parts.Length > 2)
        {
            return Invalid("give one port after the protocol");
        }

        if (portText.Length == 0)
        {
            return Invalid($"{protocol} needs a port, as in {protocolText.ToLowerInvariant()}/443");
        }

        if (!portText.All(char.IsAsciiDigit))
        {
            return Invalid($"'{portText}' is not a port number (named ports are resolved by policies, not here)");
        }

        if (!Number(portText, 65535, out var port) || port < 1)
        {
            return Invalid($"port {portText} is outside 1-65535");
        }

        return (protocol, port, null, null);
    }

    private static DirectionAnswer Answer(DirectionVerdict v) =>
        new(v.Direction.ToString(), v.Endpoint, v.Allowed, v.Decision.ToString(), v.Explanation, v.Tier, v.Policy?.ToString(), v.Rule?.Path, v.Action?.ToString())
        {
            RuleName = v.Rule?.Name,
            Priority = v.Policy is { Kind: PolicyKind.AdminNetworkPolicy, Order: { } order } ? (int)order : null,
        };
}
