using System.Management.Automation;
using Trellis.Engine;

namespace Trellis.PowerShell;

/// <summary>A Kubernetes Service of type LoadBalancer in a stored cluster, with the addresses and ports Trellis planned for it.</summary>
public sealed class TrellisService
{
    public required string ClusterName { get; init; }
    public required string Namespace { get; init; }
    public required string Name { get; init; }
    public required string Protocol { get; init; }
    public required IReadOnlyList<int> Ports { get; init; }
    public string? SharedIpKey { get; init; }
    public string? Vip { get; init; }
    public string? ClusterIp { get; init; }
    public required IReadOnlyList<int> NodePorts { get; init; }

    internal static TrellisService From(ServiceRow s) => new()
    {
        ClusterName = s.Cluster, Namespace = s.Namespace, Name = s.Name, Protocol = s.Protocol, Ports = s.Ports, SharedIpKey = s.SharedIpKey, Vip = s.Vip,
        ClusterIp = s.ClusterIp, NodePorts = s.NodePorts,
    };
}

/// <summary>The parameters of the service cmdlets that the model's fields in their findings stand for.</summary>
internal static class ServiceWords
{
    public static readonly IReadOnlyDictionary<string, string> Parameters = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["cluster"] = "ClusterName",
        ["name"] = "Name",
        ["namespace"] = "Namespace",
        ["site"] = "StatePath",
    };
}

/// <summary>Get-TrellisService: the LoadBalancer services of the stored site, or of one cluster (the CLI's get services).</summary>
[Cmdlet(VerbsCommon.Get, "TrellisService")]
[OutputType(typeof(TrellisService))]
public sealed class GetTrellisServiceCommand : TrellisCmdlet
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ClusterNameCompleter))]
    public string? ClusterName { get; set; }

    protected override void ProcessRecord()
    {
        var state = WithEngine(write: false, (engine, token) => engine.ReadAsync(token));
        if (SiteViews.RequireSite(state) is not { Count: > 0 } missing)
        {
            missing = SiteViews.CheckCluster(state, ClusterName);
        }

        WriteFindings(ParameterWords.In(missing, ParameterWords.Read));
        if (missing.Count == 0)
        {
            WriteObject(SiteViews.Services(state, ClusterName).Select(TrellisService.From), enumerateCollection: true);
        }
    }
}

/// <summary>
/// New-TrellisService: a Service of type LoadBalancer in a stored cluster (the CLI's add service); Trellis plans its VIP, ClusterIP
/// and NodePorts. The deployment script calls it for the services of a site.
/// </summary>
[Cmdlet(VerbsCommon.New, "TrellisService", SupportsShouldProcess = true)]
[OutputType(typeof(TrellisService))]
public sealed class NewTrellisServiceCommand : TrellisCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ClusterNameCompleter))]
    public string ClusterName { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Namespace { get; set; } = "default";

    /// <summary>The service's ports; services of one -SharedIpKey share one VIP on distinct ports.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public int[] Port { get; set; } = [];

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? SharedIpKey { get; set; }

    protected override void ProcessRecord()
    {
        var command = new AddService(ClusterName, Namespace, Name, Port, SharedIpKey);
        if (Change(command, $"{ClusterName}/{Namespace}/{Name}", "Add service", ServiceWords.Parameters) is not { Applied: true })
        {
            return;
        }

        var state = WithEngine(write: false, (engine, token) => engine.ReadAsync(token));
        WriteObject(SiteViews.Services(state, ClusterName).Where(s => s.Namespace == Namespace && s.Name == Name).Select(TrellisService.From), enumerateCollection: true);
    }
}

/// <summary>Remove-TrellisService: deletes a LoadBalancer service and releases its VIP, ClusterIP and NodePorts (the CLI's delete service).</summary>
[Cmdlet(VerbsCommon.Remove, "TrellisService", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
public sealed class RemoveTrellisServiceCommand : TrellisCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ClusterNameCompleter))]
    public string ClusterName { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Namespace { get; set; } = "default";

    protected override void ProcessRecord() =>
        Change(new DeleteService(ClusterName, Namespace, Name), $"{ClusterName}/{Namespace}/{Name}", "Remove service", ServiceWords.Parameters);
}
