namespace Trellis.Policy.Manifests;

/// <summary>A namespace with its labels; <c>kubernetes.io/metadata.name</c> is always among them, as the API server sets it.</summary>
public sealed record NamespaceInfo(string Name, IReadOnlyDictionary<string, string> Labels)
{
    public const string NameLabel = "kubernetes.io/metadata.name";

    /// <summary>False when no Namespace document declared it and it exists only because objects live in it.</summary>
    public bool Declared { get; init; } = true;

    public SourceRef Source { get; init; } = SourceRef.None;
}

public sealed record ServiceAccountInfo(string Namespace, string Name, IReadOnlyDictionary<string, string> Labels)
{
    public SourceRef Source { get; init; } = SourceRef.None;
}

/// <summary>A Service port; <see cref="TargetPort"/> is a number or a container port name (it defaults to <see cref="Port"/>).</summary>
public sealed record ServicePort(string? Name, int Port, string TargetPort, Protocol Protocol);

/// <summary>A Kubernetes Service: which pods back it (selector, in its namespace) and on which ports.</summary>
public sealed record ServiceInfo(string Namespace, string Name, IReadOnlyDictionary<string, string>? Selector, IReadOnlyList<ServicePort> Ports)
{
    public SourceRef Source { get; init; } = SourceRef.None;

    public string Id => $"{Namespace}/{Name}";

    /// <summary>Whether the service's selector picks this workload (a service without selector picks none).</summary>
    public bool Selects(Workload workload)
    {
        if (Selector is null || Selector.Count == 0 || workload.Namespace != Namespace)
        {
            return false;
        }

        foreach (var (k, v) in Selector)
        {
            if (!workload.Labels.TryGetValue(k, out var actual) || actual != v)
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>A Node: its labels (which AdminNetworkPolicy <c>nodes</c> peers select) and the addresses of its status.</summary>
public sealed record NodeInfo(string Name, IReadOnlyDictionary<string, string> Labels, IReadOnlyList<System.Net.IPAddress> Addresses)
{
    public SourceRef Source { get; init; } = SourceRef.None;
}
