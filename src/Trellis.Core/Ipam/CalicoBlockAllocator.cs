using Trellis.Core.Addressing;

namespace Trellis.Core.Ipam;

/// <summary>A pod address handed out by <see cref="CalicoBlockAllocator"/>, with the block it came from.</summary>
public sealed record PodAddress(string Node, string Handle, Prefix Block, UInt128 Address, bool Borrowed);

/// <summary>
/// Calico IPAM, as its AutoAssign walk does it: a node fills its affine blocks first, then claims a free block of the
/// pool (up to <see cref="MaxBlocksPerHost"/>), then — unless strict affinity holds — borrows a free address from a block
/// affine to another node. Windows nodes always have strict affinity and keep 4 addresses of each block reserved
/// (network, gateway, kube-proxy source VIP, broadcast). Deterministic: the lowest free block and address first.
/// </summary>
public sealed class CalicoBlockAllocator
{
    /// <summary>Calico's default for maxBlocksPerHost ("0 means default (20)").</summary>
    public const int DefaultMaxBlocksPerHost = 20;

    private readonly Prefix _pool;
    private readonly int _blockSize;
    private readonly AllocationLedger _blocks;
    private readonly Dictionary<UInt128, Block> _claimed = [];
    private readonly Dictionary<string, List<Block>> _byNode = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PodAddress> _handles = new(StringComparer.Ordinal);

    public CalicoBlockAllocator(Prefix pool, int blockSize = 26, bool strictAffinity = false, int maxBlocksPerHost = DefaultMaxBlocksPerHost)
    {
        if (blockSize < pool.Length || blockSize > Addressing.IpNumber.Bits(pool.Family))
        {
            throw new ArgumentOutOfRangeException(nameof(blockSize), $"A /{blockSize} block does not fit the pool {pool}.");
        }

        _pool = pool;
        _blockSize = blockSize;
        StrictAffinity = strictAffinity;
        MaxBlocksPerHost = maxBlocksPerHost <= 0 ? DefaultMaxBlocksPerHost : maxBlocksPerHost;
        var count = pool.SubnetCount(blockSize);
        _blocks = new AllocationLedger(UInt128.Zero, UInt128.Min(count, AllocationLedger.MaxRangeSize) - 1);
    }

    public bool StrictAffinity { get; }
    public int MaxBlocksPerHost { get; }

    /// <summary>The number of addresses Calico for Windows keeps out of every block a Windows node owns.</summary>
    public const int WindowsReservedPerBlock = 4;

    public IReadOnlyList<Prefix> BlocksOf(string node) => _byNode.TryGetValue(node, out var blocks) ? blocks.Select(b => b.Prefix).ToList() : [];

    /// <summary>Assigns one address to <paramref name="handle"/> (e.g. a pod) on <paramref name="node"/>; null when the pool cannot give one.</summary>
    public PodAddress? Assign(string node, string handle, bool windows = false)
    {
        if (_handles.TryGetValue(handle, out var existing))
        {
            return existing;
        }

        var blocks = _byNode.TryGetValue(node, out var list) ? list : _byNode[node] = [];
        foreach (var block in blocks)
        {
            if (block.TryTake(out var address))
            {
                return Record(new PodAddress(node, handle, block.Prefix, address, false));
            }
        }

        if (blocks.Count < MaxBlocksPerHost && _blocks.TryAllocateLowest(out var index))
        {
            var block = new Block(_pool.Subnet(_blockSize, index), node, windows);
            _claimed[index] = block;
            blocks.Add(block);
            if (block.TryTake(out var address))
            {
                return Record(new PodAddress(node, handle, block.Prefix, address, false));
            }
        }

        if (StrictAffinity || windows)
        {
            return null;
        }

        foreach (var (_, block) in _claimed.OrderBy(kv => kv.Key))
        {
            if (block.Node != node && !block.Windows && block.TryTake(out var address))
            {
                return Record(new PodAddress(node, handle, block.Prefix, address, true));
            }
        }

        return null;
    }

    /// <summary>Returns a handle's address to its block; a block stays affine to its node (Calico reclaims empty blocks later).</summary>
    public bool Release(string handle)
    {
        if (!_handles.Remove(handle, out var assigned))
        {
            return false;
        }

        var index = _pool.SubnetIndex(assigned.Block, _blockSize);
        return _claimed[index].Return(assigned.Address);
    }

    private PodAddress Record(PodAddress address)
    {
        _handles[address.Handle] = address;
        return address;
    }

    private sealed class Block
    {
        private readonly AllocationLedger _addresses;

        public Block(Prefix prefix, string node, bool windows)
        {
            Prefix = prefix;
            Node = node;
            Windows = windows;
            _addresses = new AllocationLedger(prefix.First, prefix.Last);
            if (windows && prefix.Size >= 8)
            {
                _addresses.Block(prefix.First, prefix.First + 2);
                _addresses.Block(prefix.Last, prefix.Last);
            }
        }

        public Prefix Prefix { get; }
        public string Node { get; }
        public bool Windows { get; }

        public bool TryTake(out UInt128 address) => _addresses.TryAllocateLowest(out address);

        public bool Return(UInt128 address) => _addresses.Release(address);
    }
}
