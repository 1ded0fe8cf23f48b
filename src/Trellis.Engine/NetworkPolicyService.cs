using Trellis.Core.Ipam;
using Trellis.Core.Planning;
using Trellis.Core.Validation;
using Trellis.Policy;
using Trellis.Policy.Connectivity;
using Trellis.Policy.Evaluation;
using Trellis.Policy.Lint;
using Trellis.Policy.Manifests;
using Trellis.Policy.Trace;

namespace Trellis.Engine;

/// <summary>The cluster of a planned site that manifests run in: pods get addresses from its overlay, and its plugin decides enforcement.</summary>
public sealed record PolicyContext(ResolvedSite Site, string Cluster, IReadOnlyList<Allocation> Allocations)
{
    public ResolvedCluster ResolvedCluster => Site.Clusters.Single(c => c.Name == Cluster);
}

/// <summary>One direction's verdict in plain words, for front ends.</summary>
public sealed record DirectionAnswer(string Direction, string Endpoint, bool Allowed, string Decision, string Explanation, string? Tier, string? Policy, string? Rule, string? Action)
{
    /// <summary>The deciding rule's own name, when its policy names rules (an AdminNetworkPolicy's <c>name</c>).</summary>
    public string? RuleName { get; init; }

    /// <summary>The deciding AdminNetworkPolicy's priority.</summary>
    public int? Priority { get; init; }
}

/// <summary>How the manifests are read: workloads by controller owner or pod by pod, and whether hostNetwork pods are policed.</summary>
public sealed record PolicyChoices
{
    public static PolicyChoices Default { get; } = new();

    public WorkloadView By { get; init; } = WorkloadView.Owner;

    /// <summary>False (the default) is Calico's behaviour: no policy applies to hostNetwork pods; true polices them like any pod.</summary>
    public bool HostNetworkPoliced { get; init; }
}

public sealed record CheckAnswer(string Flow, bool Allowed, bool Enforced, string? Note, DirectionAnswer Egress, DirectionAnswer Ingress);

/// <summary>
/// Network policy questions for every front end: load manifests (placing pods in a planned cluster when one is given),
/// then check one flow, compute the connectivity matrix, diff two policy sets, lint, or trace a packet.
/// </summary>
public static class NetworkPolicyService
{
    public static PolicySet Load(IReadOnlyList<string> paths, PolicyContext? context, PolicyChoices? choices = null) =>
        Place(Read(paths).ByOwner((choices ?? PolicyChoices.Default).By), context);

    /// <summary>The two sides of a diff, each grouped by owner as the other's selectors too can see it.</summary>
    public static (PolicySet Before, PolicySet After) LoadPair(string before, string after, PolicyContext? context, PolicyChoices? choices = null)
    {
        var by = (choices ?? PolicyChoices.Default).By;
        var was = Read([before]);
        var now = Read([after]);
        return (Place(was.ByOwner(by, now), context), Place(now.ByOwner(by, was), context));
    }

    /// <summary>Manifests as kubectl -R takes them, each file read only if it is a regular file of a sane size (else a finding).</summary>
    private static PolicySet Read(IReadOnlyList<string> paths) =>
        ManifestLoader.Load(paths, recursive: true, static file => InputFiles.Read(file, file, InputFiles.MaxManifestBytes) is var r ? (r.Text, r.Problem) : default);

    /// <summary>Places the pods in the cluster's planned pod network, and says when they outnumber what its nodes hold.</summary>
    private static PolicySet Place(PolicySet set, PolicyContext? context)
    {
        if (context is null)
        {
            return set;
        }

        var placed = set.AssignAddresses(context.Site, context.Cluster, context.Allocations);
        return placed with { Findings = [.. placed.Findings, .. ManifestPodCapacity.Check(placed, context)] };
    }

    public static PolicyOptions Options(PolicyContext? context, PolicyChoices? choices = null) =>
        (context is null ? PolicyOptions.Calico : PolicyOptions.ForCluster(context.ResolvedCluster)) with
        {
            HostNetworkPoliced = (choices ?? PolicyChoices.Default).HostNetworkPoliced,
        };

    /// <summary>
    /// NothingToAnalyse when the manifests hold nothing the question can be asked of: no workload (for a matrix or a
    /// diff), or neither a workload nor a policy.
    /// </summary>
    public static IReadOnlyList<Finding> NothingToAnalyse(bool needsWorkloads, params PolicySet[] sets) =>
        sets.Any(s => s.HasAnalysable(needsWorkloads))
            ? []
            : [Finding.Error("NothingToAnalyse", "--file",
                needsWorkloads
                    ? "Nothing analysable was found in the manifests: no workload (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob…)."
                    : "Nothing analysable was found in the manifests: no workload and no network policy.",
                "Check the files given with -f; the kinds that were skipped are listed on standard error.")];

    /// <summary>PolicyNotEnforced when the cluster's plugin enforces no policy: for answers (JSON, CSV, a diff) that carry no note of their own.</summary>
    public static IReadOnlyList<Finding> NotEnforced(PolicyContext? context) =>
        Options(context).Enforcing
            ? []
            : [Finding.Warning("PolicyNotEnforced", "--cluster",
                $"Cluster '{context!.Cluster}' runs {context.ResolvedCluster.Spec.PrimaryNetworkPlugin}, which enforces no network policy: every connection is allowed whatever the policies say.",
                "Use Calico (primaryNetworkPlugin: calico) where network policy matters; the plugin cannot be changed after deployment.")];

    /// <summary>The cluster context from a site spec planned from scratch, or null with findings.</summary>
    public static (PolicyContext? Context, IReadOnlyList<Finding> Findings) ContextFromSpec(string yaml, string? cluster, DateTimeOffset now)
    {
        var validation = SiteValidator.ValidateText(yaml);
        if (validation.Site is not { } site)
        {
            return (null, validation.Findings);
        }

        return ContextFrom(site, SitePlanner.Plan(site, [], now).Result, cluster);
    }

    public static (PolicyContext? Context, IReadOnlyList<Finding> Findings) ContextFrom(ResolvedSite site, IReadOnlyList<Allocation> allocations, string? cluster)
    {
        var name = cluster ?? (site.Clusters.Count == 1 ? site.Clusters[0].Name : null);
        if (name is null || site.Clusters.All(c => c.Name != name))
        {
            return (null, [Finding.Error("UnknownCluster", "--cluster",
                name is null ? "The site has several clusters; say which one the manifests run in." : $"The site has no cluster '{name}'.",
                $"Use --cluster with one of: {string.Join(", ", site.Clusters.Select(c => c.Name))}.")]);
        }

        return (new PolicyContext(site, name, allocations), []);
    }

    public static (CheckAnswer? Answer, IReadOnlyList<Finding> Findings) Check(PolicySet set, PolicyContext? context, string from, string to, string port, PolicyChoices? choices = null)
    {
        var engine = PolicyEngine.Compile(set, Options(context, choices));
        var findings = new List<Finding>();
        var source = Endpoint(engine, set, from, "--from", findings);
        var destination = Endpoint(engine, set, to, "--to", findings);
        var (protocol, number, icmpType, icmpCode) = Port(port, findings);
        if (source is null || destination is null || findings.HasErrors())
        {
            return (null, findings);
        }

        var verdict = engine.Check(new Flow(source, destination, protocol, number) { IcmpType = icmpType, IcmpCode = icmpCode });
        return (new CheckAnswer(verdict.Flow.ToString(), verdict.Allowed, verdict.Enforced, verdict.Note, Answer(verdict.Egress), Answer(verdict.Ingress)), findings);
    }

    public static ConnectivityReport Matrix(PolicySet set, PolicyContext? context, PolicyChoices? choices = null) => ConnectivityAnalyzer.Matrix(set, Options(context, choices));

    /// <summary>The matrix's lines as they are computed, for writing a matrix of any size (<see cref="ConnectivityAnalyzer.MatrixLines(PolicySet, PolicyOptions?)"/>).</summary>
    public static ConnectivityLines MatrixLines(PolicySet set, PolicyContext? context, PolicyChoices? choices = null) => ConnectivityAnalyzer.MatrixLines(set, Options(context, choices));

    public static ConnectivityDiff Diff(PolicySet before, PolicySet after, PolicyContext? context, PolicyChoices? choices = null) =>
        ConnectivityAnalyzer.Diff(before, after, Options(context, choices));

    public static IReadOnlyList<Finding> Lint(PolicySet set, PolicyContext? context, PolicyChoices? choices = null) => PolicyLinter.Lint(set, Options(context, choices));

    public static (PacketTrace? Trace, IReadOnlyList<Finding> Findings) Trace(PolicySet set, PolicyContext context, string from, string to, string port, PolicyChoices? choices = null)
    {
        var findings = new List<Finding>();
        TraceEndpoint(set, from, "--from", findings);
        TraceEndpoint(set, to, "--to", findings);
        var (protocol, number, icmpType, icmpCode) = Port(port, findings);
        if (findings.HasErrors())
        {
            return (null, findings);
        }

        var tracer = new PacketTracer(PolicyEngine.Compile(set, Options(context, choices)), context.Site, context.Cluster, context.Allocations);
        return (tracer.Trace(new TraceRequest(from, to, protocol, number) { IcmpType = icmpType, IcmpCode = icmpCode }), findings);
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
                    "Give the site (--site FILE --cluster C) so that pods get addresses from the planned overlay."));
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
            if (option == "--from")
            {
                findings.Add(Finding.Error("UnknownEndpoint", option, $"'{text}' is a Service: a Service receives connections but never starts one.",
                    "Trace from the workload or address that sends the packet; the Service belongs in --to."));
                return;
            }

            if (set.Services.All(s => s.Id != text[4..]))
            {
                findings.Add(Finding.Error("UnknownService", option, $"No Service '{text[4..]}' in the manifests.",
                    set.Services.Count == 0 ? "The manifests declare no Service; add its manifest with -f." : $"Use svc/ with one of: {string.Join(", ", set.Services.Select(s => s.Id).Take(10))}."));
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
                "Check that the site's cluster (--cluster) is the one the manifests run in."));
        }
    }

    /// <summary>
    /// Parses "tcp/80", "udp/53", "sctp/9", a bare port (TCP), or "icmp" with an optional type and code ("icmp/8",
    /// "icmp/3/4"; also icmpv6); an InvalidPort finding says what is wrong.
    /// </summary>
    public static (Protocol Protocol, int Port, int? IcmpType, int? IcmpCode) Port(string text, List<Finding> findings)
    {
        const string Hint = "Write tcp/80, udp/53, sctp/9, a bare port number for TCP (e.g. 443), icmp with an optional type and code (icmp, icmp/8, icmp/3/4), or a protocol without ports by number with a slash (47/ for GRE).";
        (Protocol, int, int?, int?) Invalid(string why)
        {
            findings.Add(Finding.Error("InvalidPort", "--port", $"'{text}' is not a protocol and port: {why}.", Hint));
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
