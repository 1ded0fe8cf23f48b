using CsCheck;
using Trellis.Core.Addressing;
using Trellis.Core.Ipam;

namespace Trellis.Core.Tests.Ipam;

public class CalicoBlockAllocatorTests
{
    private static readonly Prefix Pool = Prefix.Parse("10.244.0.0/24");

    [Fact]
    public void Assign_FillsTheNodesAffineBlockFirst()
    {
        var ipam = new CalicoBlockAllocator(Pool);

        var first = ipam.Assign("n1", "pod-a")!;
        var second = ipam.Assign("n1", "pod-b")!;

        Assert.Equal("10.244.0.0/26", first.Block.ToString());
        Assert.Equal(first.Block, second.Block);
        Assert.Equal(first.Address + 1, second.Address);
        Assert.False(second.Borrowed);
    }

    [Fact]
    public void Assign_ClaimsANewBlockWhenTheAffineOnesAreFull()
    {
        var ipam = new CalicoBlockAllocator(Pool);
        for (var i = 0; i < 64; i++)
        {
            ipam.Assign("n1", $"pod-{i}");
        }

        var next = ipam.Assign("n1", "pod-64")!;

        Assert.Equal("10.244.0.64/26", next.Block.ToString());
        Assert.Equal(2, ipam.BlocksOf("n1").Count);
    }

    [Fact]
    public void Assign_BorrowsFromAnotherNodesBlock_WhenNoBlockIsFree()
    {
        var ipam = new CalicoBlockAllocator(Pool);
        for (var node = 1; node <= 4; node++)
        {
            ipam.Assign($"n{node}", $"tunnel-{node}");
        }

        for (var i = 0; i < 63; i++)
        {
            ipam.Assign("n1", $"fill-{i}");
        }

        var borrowed = ipam.Assign("n1", "one-more")!;

        Assert.True(borrowed.Borrowed);
        Assert.Equal("10.244.0.64/26", borrowed.Block.ToString());
    }

    [Fact]
    public void Assign_NeverBorrows_WithStrictAffinity()
    {
        var ipam = new CalicoBlockAllocator(Prefix.Parse("10.244.0.0/26"), strictAffinity: true);
        ipam.Assign("n2", "other");
        Assert.Null(ipam.Assign("n1", "pod"));
    }

    [Fact]
    public void WindowsBlocks_KeepFourAddressesReserved()
    {
        var ipam = new CalicoBlockAllocator(Prefix.Parse("10.244.0.0/26"));
        var got = new List<PodAddress>();
        while (ipam.Assign("win1", $"pod-{got.Count}", windows: true) is { } a)
        {
            got.Add(a);
        }

        Assert.Equal(60, got.Count);
        Assert.Equal("10.244.0.3", IpNumber.Format(got[0].Address, System.Net.Sockets.AddressFamily.InterNetwork));
        Assert.DoesNotContain(got, a => a.Address == Prefix.Parse("10.244.0.0/26").Last);
    }

    [Fact]
    public void MaxBlocksPerHost_StopsNewClaims()
    {
        var ipam = new CalicoBlockAllocator(Pool, maxBlocksPerHost: 1, strictAffinity: true);
        for (var i = 0; i < 64; i++)
        {
            Assert.NotNull(ipam.Assign("n1", $"pod-{i}"));
        }

        Assert.Null(ipam.Assign("n1", "pod-64"));
    }

    [Fact]
    public void Property_NoAddressTwice_AndReleaseReturnsIt()
    {
        Gen.Select(Gen.Int[1, 4], Gen.Int[0, 1]).Array[1, 400].Sample(ops =>
        {
            var ipam = new CalicoBlockAllocator(Pool);
            var held = new Dictionary<string, UInt128>();
            var n = 0;
            foreach (var (node, release) in ops)
            {
                if (release == 1 && held.Count > 0)
                {
                    var handle = held.Keys.First();
                    Assert.True(ipam.Release(handle));
                    held.Remove(handle);
                    continue;
                }

                var a = ipam.Assign($"n{node}", $"h{n++}");
                if (a is null)
                {
                    Assert.True(held.Count >= 256 - 0);
                    continue;
                }

                Assert.True(Pool.Contains(a.Address));
                Assert.True(a.Block.Contains(a.Address));
                Assert.DoesNotContain(a.Address, held.Values);
                held[a.Handle] = a.Address;
            }
        }, iter: 200);
    }
}
