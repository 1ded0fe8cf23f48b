using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using CsCheck;
using Trellis.Engine.Contracts;

namespace Trellis.Engine.Tests;

/// <summary>The allocation writer writes, byte for byte, what the serializer writes of the contract's allocations.</summary>
public sealed class AllocationJsonTests
{
    private static readonly Gen<string> Text = Gen.Frequency(
        (3, Gen.OneOfConst("net/mgmtvnet/nodes", "10.0.0.10", "cluster/a/pods", "node/a/linux-1/block-1", "", "/")),
        (2, Gen.String),
        (1, Gen.OneOfConst("a\"b\\c", "<script>&'+", "é ü 中 😀", "tab\there\nnew line\u0001", "\u2028\u2029", new string('x', 300))));

    private static readonly Gen<Allocation?> Allocations = Gen.Frequency(
        (20, Gen.Select(Text, Text, Text, Text.Null(), Gen.DateTimeOffset.Nullable(), (p, a, o, d, e) => (Allocation?)new Allocation(p, a, o, d, e))),
        (1, Gen.Const((Allocation?)null)));

    private static JsonSerializerOptions Options(bool indented, bool relaxed) => new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = indented,
        Encoder = relaxed ? JavaScriptEncoder.UnsafeRelaxedJsonEscaping : null,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };

    [Fact]
    public void Write_IsWhatTheSerializerWrites_ForAnyAllocations()
    {
        Gen.Select(Allocations.Array[0, 12], Gen.Bool, Gen.Bool).Sample((list, indented, relaxed) =>
        {
            var options = Options(indented, relaxed);
            byte[]? expected = null;
            Exception? refused = null;
            try
            {
                expected = JsonSerializer.SerializeToUtf8Bytes<IReadOnlyList<Allocation?>>(list, options);
            }
            catch (ArgumentException e)
            {
                refused = e; // text the writer cannot write (a lone surrogate): refused by both
            }

            using var written = new MemoryStream();
            if (refused is not null)
            {
                Assert.ThrowsAny<ArgumentException>(() => AllocationJson.Write(written, list!, options));
                return;
            }

            AllocationJson.Write(written, list!, options);
            Assert.Equal(System.Text.Encoding.UTF8.GetString(expected!), System.Text.Encoding.UTF8.GetString(written.ToArray()));
            Assert.Equal(expected, written.ToArray());
        }, iter: 2000);
    }

    [Fact]
    public void Write_RefusesOptionsOfAnotherShape()
    {
        var pascal = Options(true, true);
        pascal.PropertyNamingPolicy = null;
        var nulls = Options(true, true);
        nulls.DefaultIgnoreCondition = JsonIgnoreCondition.Never;

        Assert.Throws<ArgumentException>(() => AllocationJson.Write(new MemoryStream(), [], pascal));
        Assert.Throws<ArgumentException>(() => AllocationJson.Write(new MemoryStream(), [], nulls));
    }
}
