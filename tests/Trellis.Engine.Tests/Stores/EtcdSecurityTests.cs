using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;
using Trellis.Storage;
using Trellis.TestSupport.Etcd;

namespace Trellis.Engine.Tests.Stores;

/// <summary>A member that speaks only TLS and takes only clients with a certificate its CA signed.</summary>
public sealed class SecureEtcdFixture : IAsyncLifetime
{
    public SecureEtcd Etcd { get; private set; } = null!;

    public async Task InitializeAsync() => Etcd = await SecureEtcd.StartAsync();

    public async Task DisposeAsync()
    {
        if (Etcd is not null)
        {
            await Etcd.DisposeAsync();
        }
    }
}

public sealed class EtcdTlsTests(SecureEtcdFixture fixture) : IClassFixture<SecureEtcdFixture>
{
    private SecureEtcd Etcd => fixture.Etcd;

    private static StoreLocation Parse(string text) => StoreLocation.Parse(text, "--store", _ => null);

    [Fact]
    public async Task WithTheCaAndAClientCertificate_TheEngineWorksOverTls()
    {
        var location = Parse($"etcds://{Etcd.Member}/tls-site?cacert={Etcd.CaFile}&cert={Etcd.ClientCertificateFile}&key={Etcd.ClientKeyFile}");
        await using (var session = EngineSession.Open(location, write: true))
        {
            Assert.True((await session.Engine.ApplyAsync(new SpecDocument(EngineFixture.Roomy()))).Applied);
        }

        await using var reader = EngineSession.Open(location, write: false);
        Assert.Equal(EngineFixture.Roomy().Name, (await reader.Engine.ReadAsync()).SiteName);
        Assert.NotEmpty((await reader.Engine.ReadAllocationsAsync()).Allocations);
    }

    [Fact]
    public async Task WithoutAClientCertificate_TheMemberRefusesAndNothingIsRead()
    {
        var location = Parse($"etcds://{Etcd.Member}/tls-site?cacert={Etcd.CaFile}");
        await using var session = EngineSession.Open(location, write: false);

        var e = await Assert.ThrowsAsync<StoreException>(() => session.Engine.ReadAsync());

        Assert.Contains(Etcd.Member, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMemberWhoseCertificateAnotherCaSigned_IsNotTrusted()
    {
        // The client trusts only the other CA: the member's certificate does not check out, so nothing is sent to it.
        var location = Parse($"etcds://{Etcd.Member}/tls-site?cacert={Etcd.OtherCaFile}&cert={Etcd.ClientCertificateFile}&key={Etcd.ClientKeyFile}");
        await using var session = EngineSession.Open(location, write: false);

        await Assert.ThrowsAsync<StoreException>(() => session.Engine.ReadAsync());
    }

    [Fact]
    public async Task AClientCertificateAnotherCaSigned_IsRefusedByTheMember()
    {
        var location = Parse($"etcds://{Etcd.Member}/tls-site?cacert={Etcd.CaFile}&cert={Etcd.OtherClientCertificateFile}&key={Etcd.OtherClientKeyFile}");
        await using var session = EngineSession.Open(location, write: false);

        await Assert.ThrowsAsync<StoreException>(() => session.Engine.ReadAsync());
    }

    [Fact]
    public void ACertificateFileThatIsNotPem_IsNamed()
    {
        var location = Parse($"etcds://{Etcd.Member}/tls-site?cacert={Etcd.Folder}/data&cert={Etcd.ClientCertificateFile}&key={Etcd.ClientKeyFile}");

        var e = Assert.Throws<StoreException>(() => EngineSession.Open(location, write: false));

        Assert.Contains($"{Etcd.Folder}/data", e.Message, StringComparison.Ordinal);
    }
}

/// <summary>A one-member cluster with authentication on: a root user, and a user whose role may only touch Trellis's keys.</summary>
public sealed class AuthEtcdFixture : EtcdClusterFixture
{
    public const string RootPassword = "root-pw-7c1e";
    public const string TrellisPassword = "trellis-pw-42a9";

    protected override int Size => 1;

    protected override async Task PrepareAsync()
    {
        using var client = new EtcdClient(Cluster.Endpoints);
        await client.UserAddAsync(new AuthUserAddRequest { Name = "root", Password = RootPassword });
        await client.RoleAddAsync(new AuthRoleAddRequest { Name = "root" });
        await client.UserGrantRoleAsync(new AuthUserGrantRoleRequest { User = "root", Role = "root" });
        await client.RoleAddAsync(new AuthRoleAddRequest { Name = "trellis" });
        await client.RoleGrantPermissionAsync(new AuthRoleGrantPermissionRequest
        {
            Name = "trellis",
            Perm = new Authpb.Permission { PermType = Authpb.Permission.Types.Type.Readwrite, Key = ByteString.CopyFromUtf8("/trellis/"), RangeEnd = ByteString.CopyFromUtf8("/trellis0") },
        });
        await client.UserAddAsync(new AuthUserAddRequest { Name = "trellis", Password = TrellisPassword });
        await client.UserGrantRoleAsync(new AuthUserGrantRoleRequest { User = "trellis", Role = "trellis" });
        await client.AuthEnableAsync(new AuthEnableRequest());
    }
}

public sealed class EtcdAuthenticationTests(AuthEtcdFixture fixture) : IClassFixture<AuthEtcdFixture>
{
    private static StoreLocation Parse(string text, string? password) =>
        StoreLocation.Parse(text, "--store", name => name == StoreLocation.PasswordVariable ? password : null);

    [Fact]
    public async Task AUserWithReadWriteOnTrellisKeys_AppliesAndReads()
    {
        var location = Parse($"etcd://{fixture.Members}/auth-site?user=trellis", AuthEtcdFixture.TrellisPassword);
        await using (var session = EngineSession.Open(location, write: true))
        {
            Assert.True((await session.Engine.ApplyAsync(new SpecDocument(EngineFixture.Roomy()))).Applied);
            Assert.True((await session.Engine.ExecuteAsync(new AddService("a", "web", "shop", [443]))).Applied);
        }

        await using var reader = EngineSession.Open(location, write: false);
        Assert.Equal(2, (await reader.Engine.ReadAuditAsync()).Count);
    }

    [Fact]
    public async Task AWrongPassword_IsAStoreErrorThatSaysAuthenticationFailed()
    {
        await using var session = EngineSession.Open(Parse($"etcd://{fixture.Members}/auth-site?user=trellis", "wrong"), write: false);

        var e = await Assert.ThrowsAsync<StoreException>(() => session.Engine.ReadAsync());

        Assert.Contains("authentication failed", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task NoUser_IsRefusedByTheCluster()
    {
        await using var session = EngineSession.Open(Parse($"etcd://{fixture.Members}/auth-site", null), write: false);

        await Assert.ThrowsAsync<StoreException>(() => session.Engine.ReadAsync());
    }

    [Fact]
    public async Task AUserWhoseRoleDoesNotCoverThePrefix_IsRefused()
    {
        await using var session = EngineSession.Open(Parse($"etcd://{fixture.Members}/auth-site?user=trellis&prefix=/elsewhere/", AuthEtcdFixture.TrellisPassword), write: false);

        var e = await Assert.ThrowsAsync<StoreException>(() => session.Engine.ReadAsync());

        Assert.Contains("permission denied", e.Message, StringComparison.OrdinalIgnoreCase);
    }
}
