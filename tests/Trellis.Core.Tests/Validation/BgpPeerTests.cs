using Trellis.Core.Model;
using Trellis.Core.Validation;

namespace Trellis.Core.Tests.Validation;

public class BgpPeerTests
{
    private static readonly SiteSpec Arc = SpecEdits.Arc;
    private const string B = "spec.clusters[1]";

    [Fact]
    public void Example_ReadsItsBgpPeer()
    {
        var peer = Assert.Single(Arc.Clusters[1].BgpPeers);
        Assert.Equal(("tor1", 64512L, 64513L, "10.220.32.1"), (peer.Name, peer.MyAsn, peer.PeerAsn, peer.PeerAddress));
        Arc.AssertClean("BgpPeerRequired");
        Arc.AssertClean("InvalidAsn");
    }

    [Fact]
    public void Validate_RequiresAPeer_ForBgpAdvertisement()
    {
        Arc.Cluster(1, c => c with { BgpPeers = [] }).AssertFinding("BgpPeerRequired", $"{B}.loadBalancers[0].advertiseMode");
    }

    [Fact]
    public void Validate_RejectsAnAsnOutOfRange()
    {
        Arc.Cluster(1, c => c with { BgpPeers = [c.BgpPeers[0] with { PeerAsn = 0 }] }).AssertFinding("InvalidAsn", $"{B}.bgpPeers[0].peerAsn");
        Arc.Cluster(1, c => c with { BgpPeers = [c.BgpPeers[0] with { MyAsn = 4294967295 }] }).AssertFinding("InvalidAsn", $"{B}.bgpPeers[0].myAsn");
        Arc.Cluster(1, c => c with { BgpPeers = [c.BgpPeers[0] with { MyAsn = 4200000000 }] }).AssertClean("InvalidAsn");
    }

    [Fact]
    public void Validate_RejectsAPeerWithoutAnAddress()
    {
        Arc.Cluster(1, c => c with { BgpPeers = [c.BgpPeers[0] with { PeerAddress = "router" }] }).AssertFinding("InvalidAddress", $"{B}.bgpPeers[0].peerAddress");
    }

    [Fact]
    public void Validate_WarnsAboutPeersNoLoadBalancerUses()
    {
        Arc.Cluster(1, c => c with { LoadBalancers = [c.LoadBalancers[0] with { AdvertiseMode = "ARP", Addresses = ["10.220.32.50-10.220.32.52"] }] })
            .AssertFinding("BgpPeersUnused", $"{B}.bgpPeers", Severity.Warning);
    }
}
