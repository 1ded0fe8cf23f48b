namespace Trellis.Engine.Contracts;

/// <summary>One entry of the audit log: who changed what, when, through which command, and the revision it made.</summary>
/// <param name="Summary">The plan in one line: what objects it added, changed and removed.</param>
/// <param name="Added">Addresses allocated by the change.</param>
/// <param name="Removed">Addresses released by the change.</param>
/// <param name="Revision">The store revision the change committed at.</param>
/// <param name="Actor">Who made the change, as the front end identified them (the CLI: the operating-system user); null when not recorded.</param>
/// <param name="Plan">The id of the plan the change committed, when it was planned and shown first (the server's plans); else null.</param>
public sealed record AuditEntry(DateTimeOffset Time, string Command, string Summary, int Added, int Removed, long Revision, string? Actor, string? Plan = null);
