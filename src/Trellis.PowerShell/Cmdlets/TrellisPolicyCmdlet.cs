using System.Management.Automation;
using Trellis.Engine;
using Trellis.Engine.Contracts;

namespace Trellis.PowerShell;

/// <summary>How manifests group pods into workloads (-By).</summary>
public enum TrellisWorkloadGrouping
{
    /// <summary>A controller's pods as one workload (ns/name[Deployment]).</summary>
    Owner,

    /// <summary>Every pod on its own.</summary>
    Pod,
}

/// <summary>Whether policies apply to hostNetwork pods (-HostNetwork).</summary>
public enum TrellisHostNetworkPolicing
{
    /// <summary>Calico's behaviour: no policy applies to hostNetwork pods.</summary>
    Calico,

    /// <summary>Police them like any pod.</summary>
    Policed,
}

/// <summary>
/// What Test-TrellisNetworkPolicy and Get-TrellisTrace share with the CLI's netpol check and trace: the manifests (files and
/// folders, read as kubectl apply -R -f reads them), the flow asked about, and the planned cluster the pods run in.
/// </summary>
public abstract class TrellisPolicyCmdlet : TrellisCmdlet
{
    /// <summary>The model's field names in policy findings, and the parameters they stand for here.</summary>
    private static readonly Dictionary<string, string> Parameters = new(StringComparer.Ordinal)
    {
        ["from"] = "From",
        ["to"] = "To",
        ["port"] = "Port",
        ["cluster"] = "ClusterName",
        ["manifests"] = "Path",
        ["site"] = "SitePath",
        ["-Path"] = "SitePath",
    };

    /// <summary>Manifest files or folders (kubectl apply -f style).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    /// <summary>ns/workload, ns/workload[Kind] or an IP address.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string From { get; set; } = "";

    /// <summary>ns/workload, ns/workload[Kind], svc/ns/name, a LoadBalancer VIP, or an IP address.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string To { get; set; } = "";

    /// <summary>tcp/80, udp/53, sctp/9 or icmp.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string Port { get; set; } = "";

    /// <summary>The cluster of the site the manifests run in.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ClusterNameCompleter))]
    public string? ClusterName { get; set; }

    /// <summary>A site spec whose planned overlay gives pods their addresses, instead of the stored site.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? SitePath { get; set; }

    [Parameter]
    public TrellisWorkloadGrouping By { get; set; } = TrellisWorkloadGrouping.Owner;

    [Parameter]
    public TrellisHostNetworkPolicing HostNetwork { get; set; } = TrellisHostNetworkPolicing.Calico;

    /// <summary>The findings, with the question's parts named by this cmdlet's parameters.</summary>
    protected static IEnumerable<Finding> Named(IEnumerable<Finding> findings) => ParameterWords.In(findings, Parameters);

    /// <summary>
    /// The manifests loaded in the cluster they run in: from -SitePath, from the stored site with -ClusterName (or always, when
    /// <paramref name="required"/>), or in no cluster. Null when the question cannot be asked (its findings written).
    /// </summary>
    protected (ManifestSet Set, IReadOnlyList<Finding> Findings)? Load(bool required)
    {
        PolicyContext? context = null;
        if (SitePath is not null)
        {
            var read = SpecInput.FromFile(this, SitePath);
            if (read.Document is not { } spec)
            {
                WriteFindings(Named(read.Findings));
                return null;
            }

            var (made, findings) = NetworkPolicyService.ContextFromSpec(spec, ClusterName, TimeProvider.System.GetUtcNow());
            if (made is null)
            {
                WriteFindings(Named([.. read.Findings, .. findings]));
                return null;
            }

            context = made;
        }
        else if (ClusterName is not null || required)
        {
            var (made, findings) = WithEngine(write: false, (engine, token) => engine.PolicyContextAsync(ClusterName, token));
            if (made is null)
            {
                WriteFindings(Named(findings));
                return null;
            }

            context = made;
        }

        var paths = new List<string>();
        var problems = new List<Finding>();
        foreach (var p in Path)
        {
            var (full, problem) = FileSystemPaths.Resolve(this, p, "manifests");
            if (full is not null)
            {
                paths.Add(full);
            }
            else
            {
                problems.Add(problem!);
            }
        }

        var (manifests, unread) = ManifestFiles.Read(paths);
        var set = NetworkPolicyService.Load(manifests, context, new PolicyChoices
        {
            By = By == TrellisWorkloadGrouping.Pod ? WorkloadGrouping.Pod : WorkloadGrouping.Owner,
            HostNetworkPoliced = HostNetwork == TrellisHostNetworkPolicing.Policed,
        });
        if (ManifestSet.NotAnalysedSummary(set) is { } summary)
        {
            WriteVerbose(summary);
        }

        return (set, [.. problems, .. unread, .. set.Findings]);
    }

    /// <summary>Errors as ErrorRecords, warnings as warnings, and notes (info) as verbose lines.</summary>
    protected void WriteAll(IEnumerable<Finding> findings)
    {
        var list = Named(findings).ToList();
        WriteFindings(list.Where(f => f.Severity != Severity.Info).OrderByDescending(f => f.Severity));
        foreach (var note in list.Where(f => f.Severity == Severity.Info))
        {
            WriteVerbose(FindingRecords.WarningText(note));
        }
    }
}
