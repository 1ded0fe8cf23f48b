namespace Trellis.Engine.Tests.Stores;

public sealed class StoreLocationTests
{
    private static StoreLocation Parse(string text, string? password = null) =>
        StoreLocation.Parse(text, "--store", name => name == StoreLocation.PasswordVariable ? password : null);

    [Theory]
    [InlineData("state.db", "state.db")]
    [InlineData("sqlite:state.db", "state.db")]
    [InlineData("sqlite:/var/lib/trellis/a b.db", "/var/lib/trellis/a b.db")]
    [InlineData(".trellis/state.db", ".trellis/state.db")]
    public void APathOrSqlitePrefix_IsAStateFile(string text, string path) =>
        Assert.Equal(new SqliteLocation(path), Parse(text));

    [Fact]
    public void AnEtcdAddress_NamesTheMembersTheSiteAndItsKeyspace()
    {
        var location = Assert.IsType<EtcdLocation>(Parse("etcd://10.0.0.1:2379,10.0.0.2,[fd00::3]:32379/lab"));

        Assert.Equal(["10.0.0.1:2379", "10.0.0.2:2379", "[fd00::3]:32379"], location.Members);
        Assert.Equal("lab", location.Site);
        Assert.False(location.UseTls);
        Assert.Equal("http://10.0.0.1:2379,http://10.0.0.2:2379,http://[fd00::3]:32379", location.Endpoints);
        Assert.Equal("/trellis/sites/lab/", location.SitePrefix("lab"));
        Assert.Equal("/trellis/fleet/", location.FleetPrefix);
        Assert.Equal("etcd://10.0.0.1:2379,10.0.0.2:2379,[fd00::3]:32379/lab", location.ToString());
    }

    [Fact]
    public void Etcds_SpeaksTlsWithTheGivenFilesAndPrefix()
    {
        var location = Assert.IsType<EtcdLocation>(Parse("etcds://etcd-1.example:2379/lab?cacert=/etc/ca.pem&cert=/etc/c.pem&key=/etc/k%20ey.pem&prefix=/team-a/"));

        Assert.True(location.UseTls);
        Assert.Equal("https://etcd-1.example:2379", location.Endpoints);
        Assert.Equal(("/etc/ca.pem", "/etc/c.pem", "/etc/k ey.pem"), (location.CaCertificateFile, location.ClientCertificateFile, location.ClientKeyFile));
        Assert.Equal("/team-a/sites/lab/", location.SitePrefix("lab"));
    }

    [Fact]
    public void APassword_ComesFromTheEnvironmentOrAFile_AndIsNeverShown()
    {
        var fromEnvironment = Assert.IsType<EtcdLocation>(Parse("etcd://127.0.0.1:2379/lab?user=trellis", password: "s3cret-pw"));
        Assert.Equal(("trellis", "s3cret-pw"), (fromEnvironment.Username, fromEnvironment.Password));
        Assert.DoesNotContain("s3cret-pw", fromEnvironment.ToString(), StringComparison.Ordinal);

        using var temp = new Trellis.TestSupport.TempFolder();
        var file = Path.Combine(temp.Path, "password");
        File.WriteAllText(file, "from-file\n");
        var fromFile = Assert.IsType<EtcdLocation>(Parse($"etcd://127.0.0.1:2379/lab?user=trellis&passwordFile={file}", password: "ignored"));
        Assert.Equal("from-file", fromFile.Password);
    }

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("sqlite:", "needs the state file's path")]
    [InlineData("mysql://db/lab", "is not a store Trellis knows")]
    [InlineData("etcd://root:pw@127.0.0.1:2379/lab", "not accepted")]
    [InlineData("etcd://127.0.0.1:99999/lab", "is not a member's address")]
    [InlineData("etcd://127.0.0.1:x/lab", "is not a member's address")]
    [InlineData("etcd://,/lab", "is not a member's address")]
    [InlineData("etcd://127.0.0.1:2379/Lab_1", "is not a site name")]
    [InlineData("etcd://127.0.0.1:2379/a/b", "is not a site name")]
    [InlineData("etcd://127.0.0.1:2379/lab?colour=blue", "'colour' is not an etcd option")]
    [InlineData("etcd://127.0.0.1:2379/lab?user=a&user=b", "given once")]
    [InlineData("etcd://127.0.0.1:2379/lab?prefix=trellis", "must start and end with '/'")]
    [InlineData("etcd://127.0.0.1:2379/lab?cacert=/ca.pem", "write etcds://")]
    [InlineData("etcds://127.0.0.1:2379/lab?cert=/c.pem", "needs both cert=PATH")]
    [InlineData("etcd://127.0.0.1:2379/lab?user=trellis", "TRELLIS_ETCD_PASSWORD")]
    [InlineData("etcd://127.0.0.1:2379/lab?passwordFile=/p", "name the user")]
    [InlineData("etcd://127.0.0.1:2379/lab?user=a&passwordFile=/nonexistent/p", "cannot be read")]
    public void ABadLocation_SaysWhereItCameFromAndWhatToWrite(string text, string expected)
    {
        var e = Assert.Throws<StoreLocationException>(() => Parse(text));

        Assert.StartsWith("--store", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OpeningAnEtcdStoreWithoutASite_IsRefused() =>
        Assert.Throws<StoreLocationException>(() => EngineSession.Open(Parse("etcd://127.0.0.1:2379"), write: false));
}
