using Microsoft.AspNetCore.Http;
using Trellis.Server.Security;

namespace Trellis.Server.Monitoring;

/// <summary>Which sites a request may read, for the fleet-wide views that list only those.</summary>
internal static class SiteGrants
{
    public static bool CanRead(HttpContext context, string site) => context.Token()?.CanRead(site) == true;
}
