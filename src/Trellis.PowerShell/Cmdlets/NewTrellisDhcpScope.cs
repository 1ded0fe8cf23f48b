using System.Collections;
using System.Management.Automation;
using Trellis.Engine;
using Trellis.Engine.Contracts;

namespace Trellis.PowerShell;

/// <summary>
/// New-TrellisDhcpScope: the DHCP server's scope of a DHCP network, as an object (the Engine's DhcpScopeSetting) for
/// New-AksHciNetworkSetting / New-AksHciClusterNetwork -DhcpScope, so that Trellis checks its exclusions, reservations and
/// capacity. Nothing is stored: the Engine checks its values when the network is set.
/// </summary>
[Cmdlet(VerbsCommon.New, "TrellisDhcpScope")]
[OutputType(typeof(DhcpScopeSetting))]
public sealed class NewTrellisDhcpScopeCommand : TrellisCmdlet
{
    private static readonly string[] ReservationFields = ["name", "ipAddress", "macAddress"];

    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Subnet { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Start { get; set; } = "";

    [Parameter(Mandatory = true, Position = 2)]
    [ValidateNotNullOrEmpty]
    public string End { get; set; } = "";

    /// <summary>As Windows DHCP writes it, d.hh:mm:ss (8.00:00:00 is eight days).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? LeaseDuration { get; set; }

    /// <summary>Reservations: @{ name = 'printer'; ipAddress = '10.0.0.20'; macAddress = '00-15-5D-01-02-03' }.</summary>
    [Parameter]
    [ValidateNotNull]
    public Hashtable[] Reservation { get; set; } = [];

    protected override void EndProcessing()
    {
        var reservations = new List<DhcpReservationSetting>();
        var problems = new List<Finding>();
        for (var i = 0; i < Reservation.Length; i++)
        {
            var path = $"-Reservation[{i}]";
            var fields = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            foreach (DictionaryEntry e in Reservation[i])
            {
                var key = e.Key?.ToString() ?? "";
                if (ReservationFields.FirstOrDefault(f => string.Equals(f, key, StringComparison.OrdinalIgnoreCase)) is not { } field)
                {
                    problems.Add(Finding.Error("UnknownField", $"{path}.{key}", $"Field '{key}' is not part of a reservation.", "A reservation has name, ipAddress and macAddress."));
                    continue;
                }

                fields[field] = (e.Value is PSObject p ? p.BaseObject : e.Value)?.ToString();
            }

            if (fields.GetValueOrDefault("name") is not { Length: > 0 } name)
            {
                problems.Add(Finding.Error("RequiredFieldMissing", $"{path}.name", "The reservation has no name.", "Name it, e.g. after the machine: @{ name = 'printer'; ipAddress = '…'; macAddress = '…' }."));
                continue;
            }

            reservations.Add(new DhcpReservationSetting(name, fields.GetValueOrDefault("ipAddress"), fields.GetValueOrDefault("macAddress")));
        }

        foreach (var problem in problems)
        {
            WriteError(FindingRecords.From(problem));
        }

        if (problems.Count == 0)
        {
            WriteObject(new DhcpScopeSetting(Subnet, Start, End, LeaseDuration, reservations));
        }
    }
}
