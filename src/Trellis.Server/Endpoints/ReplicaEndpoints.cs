using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Trellis.Server.Stores;

namespace Trellis.Server.Endpoints;

/// <summary>GET /api/v1/servers: the servers that share this server's store (on etcd, each live replica; else this server).</summary>
internal static class ReplicaEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/servers", async (ReplicaRegistry registry, CancellationToken ct) =>
                TypedResults.Json(await registry.ListAsync(ct).ConfigureAwait(false), ServerJson.Default.IReadOnlyListReplica))
            .RequiresToken().WithName("ListServers").WithTags("Servers");
    }
}
