using System.Text.Json.Nodes;
using Trellis.Core.Planning;
using Trellis.Rendering.Emit;

namespace Trellis.Rendering.MetalLb;

/// <summary>
/// A neutral description of every frontend a cluster needs from a load balancer Trellis does not configure itself
/// (SKU none: F5, NetScaler, an SDN SLB…): the API server VIP on the control plane, and each service VIP port on the
/// workers' NodePort.
/// </summary>
public static class LoadBalancerJsonRenderer
{
    public static string Render(ResolvedSite site, ClusterTopology cluster)
    {
        var apiVip = cluster.ApiServerVip
            ?? throw new InvalidOperationException($"Cluster '{cluster.Name}' has no API server VIP allocated.");

        var frontends = new JsonArray
        {
            Frontend("api-server", apiVip.ToString(), KubeVipRenderer.ApiServerPort, "tcp",
                cluster.ControlPlane.Select(n => Backend(n, KubeVipRenderer.ApiServerPort)),
                new JsonObject { ["type"] = "https", ["port"] = KubeVipRenderer.ApiServerPort, ["path"] = "/readyz" }),
        };

        foreach (var vip in cluster.ServiceVips)
        {
            foreach (var p in vip.Ports)
            {
                var protocol = p.Protocol.ToLowerInvariant();
                // Only a TCP NodePort answers a connect probe; UDP and SCTP frontends carry no health check.
                var check = protocol == "tcp" ? new JsonObject { ["type"] = "tcp", ["port"] = p.NodePort } : null;
                frontends.Add(Frontend($"{p.Namespace}/{p.Service}:{p.Port}", vip.Address.ToString(), p.Port, protocol,
                    cluster.Workers.Select(n => Backend(n, p.NodePort)), check));
            }
        }

        var root = new JsonObject { ["cluster"] = cluster.Name, ["frontends"] = frontends };
        return JsonText.Write(root);
    }

    private static JsonNode Frontend(string name, string vip, int port, string protocol, IEnumerable<JsonObject> backends, JsonObject? healthCheck) => new JsonObject
    {
        ["name"] = name,
        ["vip"] = vip,
        ["port"] = port,
        ["protocol"] = protocol,
        ["backends"] = new JsonArray(backends.ToArray<JsonNode?>()),
        ["healthCheck"] = healthCheck,
    };

    private static JsonObject Backend(PlacedNode node, int port) => new()
    {
        ["node"] = node.Name,
        ["address"] = node.Address.ToString(),
        ["port"] = port,
    };
}
