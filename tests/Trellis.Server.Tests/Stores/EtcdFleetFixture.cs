using Trellis.Engine;
using Trellis.Engine.Contracts;
using Trellis.Server.Tests.Infrastructure;
using Trellis.TestSupport;
using Trellis.TestSupport.Etcd;

namespace Trellis.Server.Tests.Stores;

/// <summary>One real 3-member etcd cluster for a test class; each test takes a store root of its own on it.</summary>
public sealed class EtcdFleetFixture : EtcdClusterFixture
{
    /// <summary>The cluster as a server's Store setting (no site), under a new, empty root.</summary>
    public string NewStore() =>
        $"etcd://{Members}?prefix=/trellis-tests/{Guid.NewGuid():N}/";

    public static EtcdLocation Location(string store) => (EtcdLocation)StoreLocation.Parse(store, "test", _ => null);

    /// <summary>A server on the fleet at <paramref name="store"/>, with a data folder (tokens) of its own.</summary>
    public static Task<TestServer> ServerAsync(string store, Func<ServerOptions, ServerOptions>? configure = null) =>
        TestServer.StartAsync(configure: o => (configure ?? (x => x))(o with { Store = Location(store), ReplicaTtl = TimeSpan.FromSeconds(2) }));

    /// <summary>Applies examples/<paramref name="example"/> to site <paramref name="site"/> of the store, as the CLI's <c>--store etcd://…/site</c> does.</summary>
    public static async Task<long> ApplyAsync(string store, string site, string example)
    {
        var read = SiteSpecs.ReadFile(Path.Combine(ExampleState.ExamplesDirectory, example));
        await using var session = EngineSession.Open(Location(store).WithSite(site), write: true);
        var outcome = (await session.Engine.ExecuteAsync(new ApplySpec(read.Document!))).Outcome();
        return outcome.HasErrors ? throw new InvalidOperationException(string.Join("; ", outcome.Findings)) : outcome.Revision;
    }
}
