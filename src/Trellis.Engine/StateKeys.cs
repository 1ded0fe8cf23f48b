namespace Trellis.Engine;

/// <summary>
/// The layout of a site in the store. <c>alloc/&lt;pool&gt;/&lt;address&gt;</c> is the unique key of an allocation:
/// the store itself refuses a second holder of one address of one pool.
/// </summary>
internal static class StateKeys
{
    public const string SitePrefix = "site/";
    public const string Spec = "site/spec";
    /// <summary>The site's policy definitions and assignments (one document; absent when there are none).</summary>
    public const string Governance = "site/governance";
    /// <summary>The fleet's definitions and assignments as the server last copied them into the site (absent when it has none).</summary>
    public const string FleetGovernance = "site/fleet-governance";
    /// <summary>Bumped by every change, and compared by every change, so that concurrent writers serialize.</summary>
    public const string Generation = "site/generation";
    public const string AllocationPrefix = "alloc/";
    public const string UpgradePrefix = "upgrade/";
    public const string AuditPrefix = "audit/";

    /// <summary>Everything a command needs to plan; the audit log is left out, read only when asked for.</summary>
    public static IReadOnlyList<string> StatePrefixes { get; } = [SitePrefix, AllocationPrefix, UpgradePrefix];

    public static string Allocation(string pool, string address) => $"{AllocationPrefix}{pool}/{address}";
    public static string Upgrade(string cluster) => $"{UpgradePrefix}{cluster}";
    public static string Audit(long revision) => $"{AuditPrefix}{revision:D12}";
}
