using Microsoft.AspNetCore.Builder;

namespace Trellis.Server;

/// <summary>
/// What a token may do. Per site: <see cref="Reader"/> &lt; <see cref="Operator"/> &lt; <see cref="NetworkAdmin"/>, each
/// including the ones before it; <see cref="Admin"/> is fleet-wide (sites and tokens) and includes them all on every site.
/// </summary>
public enum AccessRole
{
    /// <summary>Reads: views, capacity, rendered configs, policy questions, audit, live updates.</summary>
    Reader = 1,

    /// <summary>Day-two changes: scale, add services and node pools, upgrade.</summary>
    Operator = 2,

    /// <summary>The site's networking: apply a spec (networks, pools, load balancers), delete.</summary>
    NetworkAdmin = 3,

    /// <summary>The fleet: create and delete sites, manage tokens.</summary>
    Admin = 4,
}

/// <summary>
/// The role an endpoint needs, as endpoint metadata: the one authorization table, which the access check enforces and the
/// role-matrix test reads. An endpoint without it is public (health, the pages' static files, the OpenAPI document).
/// </summary>
public sealed record RequiredAccess(AccessRole Role, bool SiteScoped);

public static class AccessEndpoints
{
    /// <summary>Requires <paramref name="role"/> on the site named by the route's <c>{site}</c> (or fleet-wide, for <see cref="AccessRole.Admin"/>).</summary>
    public static TBuilder Requires<TBuilder>(this TBuilder builder, AccessRole role)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequiredAccess(role, role != AccessRole.Admin));

    /// <summary>Requires any valid token; what the endpoint shows is limited to the sites the token is granted (the site list).</summary>
    public static TBuilder RequiresToken<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequiredAccess(AccessRole.Reader, SiteScoped: false));
}
