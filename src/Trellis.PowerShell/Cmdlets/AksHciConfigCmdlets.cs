using System.Collections;
using System.Globalization;
using System.Management.Automation;
using Trellis.Engine;
using Trellis.Engine.Contracts;

namespace Trellis.PowerShell;

/// <summary>
/// Set-AksHciConfig: creates the AksHci site (the host network -vnet, the cloud agent address -cloudServiceCidr) or changes it.
/// Trellis records the vnet, the cloudServiceCidr, -SiteName and -PlanningSetting; the module's other parameters are accepted
/// so that deployment scripts run unchanged, and are not recorded.
/// </summary>
[Cmdlet(VerbsCommon.Set, "AksHciConfig", SupportsShouldProcess = true)]
[OutputType(typeof(AksHciConfig))]
public sealed class SetAksHciConfigCommand : AksHciCmdlet
{
    [Parameter(Mandatory = true)]
    [VirtualNetworkTransformation]
    [ValidateNotNull]
    public AksHciVirtualNetwork? Vnet { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? CloudServiceCidr { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? SiteName { get; set; }

    [Parameter]
    [ValidateNotNull]
    public Hashtable? PlanningSetting { get; set; }

    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string? WorkingDir { get; set; }

    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string? CloudConfigLocation { get; set; }

    [Parameter]
    public string? ImageDir { get; set; }

    [Parameter]
    public string? NodeConfigLocation { get; set; }

    [Parameter]
    public string? Version { get; set; }

    [Parameter]
    public string? ControlPlaneVmSize { get; set; }

    [Parameter]
    public string? SshPublicKey { get; set; }

    /// <summary>Not recorded, but checked as AksHci checks it: the first byte even (its least significant bit clear).</summary>
    [Parameter]
    [ValidatePattern(EvenFirstByteMac, ErrorMessage = MacMessage)]
    public string? MacPoolStart { get; set; }

    [Parameter]
    [ValidatePattern(EvenFirstByteMac, ErrorMessage = MacMessage)]
    public string? MacPoolEnd { get; set; }

    private const string EvenFirstByteMac = "^[0-9A-Fa-f][02468AaCcEe]([:-][0-9A-Fa-f]{2}){5}$";
    private const string MacMessage = "'{0}' is not a MAC address whose first byte is even, as AksHci requires of a MAC pool (e.g. 02:1E:2B:78:00:00).";

    [Parameter]
    public PSObject? ProxySettings { get; set; }

    [Parameter]
    public int NodeAgentPort { get; set; } = 45000;

    [Parameter]
    public int NodeAgentAuthorizerPort { get; set; } = 45001;

    [Parameter]
    public int CloudAgentPort { get; set; } = 55000;

    [Parameter]
    public int CloudAgentAuthorizerPort { get; set; } = 65000;

    [Parameter]
    public string? ClusterRoleName { get; set; }

    [Parameter]
    public string CloudLocation { get; set; } = "MocLocation";

    [Parameter]
    public SwitchParameter SkipHostLimitChecks { get; set; }

    [Parameter]
    public SwitchParameter SkipRemotingChecks { get; set; }

    [Parameter]
    public SwitchParameter SkipValidationChecks { get; set; }

    [Parameter]
    public SwitchParameter Insecure { get; set; }

    [Parameter]
    public SwitchParameter SkipUpdates { get; set; }

    [Parameter]
    public SwitchParameter ForceDnsReplication { get; set; }

    [Parameter]
    public SwitchParameter EnablePreview { get; set; }

    [Parameter]
    public SwitchParameter SkipCleanOnFailure { get; set; }

    /// <summary>The parameters Trellis records; every other one bound is accepted and said to be unrecorded.</summary>
    private static readonly HashSet<string> Recorded = new(StringComparer.OrdinalIgnoreCase) { "Vnet", "CloudServiceCidr", "SiteName", "PlanningSetting", "StatePath", "Store" };

    protected override void ProcessRecord()
    {
        var ignored = MyInvocation.BoundParameters.Keys.Where(k => !Recorded.Contains(k) && !Common.Contains(k)).Order(StringComparer.Ordinal).ToList();
        if (ignored.Count > 0)
        {
            WriteVerbose($"Not recorded by Trellis (no effect on the site's addresses): -{string.Join(", -", ignored)}.");
        }

        if (MacPoolStart is { } start && MacPoolEnd is { } end && !string.Equals(start[..2], end[..2], StringComparison.OrdinalIgnoreCase))
        {
            WriteOwnFindings(Finding.Error("MacPoolFirstByteMismatch", "macPoolEnd", $"-macPoolEnd {end} must start with the same byte as -macPoolStart {start}, as AksHci requires.",
                $"Give -macPoolEnd the first byte {start[..2]}."));
            return;
        }

        if (Vnet!.NameOnly)
        {
            WriteOwnFindings(Finding.Error("InvalidValue", "vnet", $"-vnet '{Vnet.Name}' names a network; Set-AksHciConfig needs its settings.",
                "Pass the object New-AksHciNetworkSetting writes."));
            return;
        }

        var command = new SetHostConfig(AksHciViews.Setting(Vnet), CloudServiceCidr, SiteName, PlanningSetting is null ? null : Settings(PlanningSetting));
        if (Apply(command, SiteName ?? Vnet.Name, "Set AKS host configuration") is { Applied: true } && AksHciViews.Config(ReadState()) is { } config)
        {
            WriteObject(config);
        }
    }

    /// <summary>Planning settings by their spec names, values as the YAML reader reads them (true/false, invariant numbers).</summary>
    internal static Dictionary<string, string> Settings(Hashtable table)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry e in table)
        {
            var value = e.Value is PSObject p ? p.BaseObject : e.Value;
            settings[e.Key?.ToString() ?? ""] = value switch
            {
                bool b => b ? "true" : "false",
                SwitchParameter s => s.IsPresent ? "true" : "false",
                IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                null => "",
                _ => value.ToString() ?? "",
            };
        }

        return settings;
    }

    private static readonly HashSet<string> Common = new(
        [.. System.Management.Automation.Cmdlet.CommonParameters, .. System.Management.Automation.Cmdlet.OptionalCommonParameters], StringComparer.OrdinalIgnoreCase);
}

/// <summary>Get-AksHciConfig: the stored site's name, model, host network, cloud agent address and planning settings.</summary>
[Cmdlet(VerbsCommon.Get, "AksHciConfig")]
[OutputType(typeof(AksHciConfig))]
public sealed class GetAksHciConfigCommand : AksHciCmdlet
{
    protected override void EndProcessing()
    {
        if (ReadSite() is { } state && AksHciViews.Config(state) is { } config)
        {
            WriteObject(config);
        }
    }
}

/// <summary>
/// Install-AksHci: the AKS host's addresses were planned when Set-AksHciConfig stored the site, so nothing is written; it
/// checks that a site is stored and writes what the stored site breaks of today's rules.
/// </summary>
[Cmdlet(VerbsLifecycle.Install, "AksHci")]
public sealed class InstallAksHciCommand : AksHciCmdlet
{
    protected override void EndProcessing()
    {
        if (ReadSite() is { } state)
        {
            WriteFindings(SiteViews.Findings(state));
            WriteVerbose($"Site '{state.SiteName}' is stored; its AKS host addresses were planned by Set-AksHciConfig. Install-AksHci records nothing.");
        }
    }
}

/// <summary>Set-AksHciRegistration: Azure registration has no effect on addresses; accepted so that scripts run, nothing is recorded.</summary>
[Cmdlet(VerbsCommon.Set, "AksHciRegistration")]
public sealed class SetAksHciRegistrationCommand : AksHciCmdlet
{
    [Parameter]
    public string? SubscriptionId { get; set; }

    [Parameter]
    public string? ResourceGroupName { get; set; }

    [Parameter]
    public string? TenantId { get; set; }

    [Parameter]
    public string? ArmAccessToken { get; set; }

    [Parameter]
    public string? GraphAccessToken { get; set; }

    [Parameter]
    public string? AccountId { get; set; }

    [Parameter]
    public string? EnvironmentName { get; set; }

    [Parameter]
    public PSCredential? Credential { get; set; }

    [Parameter]
    public string? Region { get; set; }

    [Parameter]
    public SwitchParameter UseDeviceAuthentication { get; set; }

    [Parameter]
    public SwitchParameter SkipLogin { get; set; }

    protected override void EndProcessing() =>
        WriteVerbose("Azure registration has no effect on the site's addresses: Trellis records none of it (no credential or token is kept).");
}

/// <summary>
/// Lets -vnet take what a script has: the object New-AksHciNetworkSetting / New-AksHciClusterNetwork writes, the Engine's
/// NetworkSetting, or a network's name (a reference to the stored network of that name).
/// </summary>
public sealed class VirtualNetworkTransformationAttribute : ArgumentTransformationAttribute
{
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData) => (inputData is PSObject p ? p.BaseObject : inputData) switch
    {
        AksHciVirtualNetwork n => n,
        NetworkSetting n => AksHciViews.Network(n, null),
        string name => new AksHciVirtualNetwork { Name = name, NameOnly = true },
        var other => other,
    };
}

/// <summary>Lets -loadBalancerSettings take New-AksHciLoadBalancerSetting's object or the Engine's LoadBalancerSetting.</summary>
public sealed class LoadBalancerSettingTransformationAttribute : ArgumentTransformationAttribute
{
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData) => (inputData is PSObject p ? p.BaseObject : inputData) switch
    {
        LoadBalancerSetting l => new AksHciLoadBalancerSetting { Name = l.Name, LoadBalancerSku = l.LoadBalancerSku, VmSize = l.VmSize, LoadBalancerCount = l.LoadBalancerCount },
        var other => other,
    };
}
