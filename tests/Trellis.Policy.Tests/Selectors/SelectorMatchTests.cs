using Trellis.Policy.Selectors;

namespace Trellis.Policy.Tests.Selectors;

public class SelectorMatchTests
{
    // The cases of libcalico-go's parser_test.go `selectorTests`, plus prefixed keys and global().
    public static TheoryData<string, string> Matching() => new()
    {
        { "a == \"b\"", "a=b" },
        { "a == \"b\"", "a=b;c=d" },
        { "a == \"b\" && c == \"d\"", "a=b;c=d" },
        { "a == \"b\" || c == \"d\"", "a=b;c=d" },
        { "a == \"b\" || c == \"d\"", "a=b" },
        { "a == \"b\" || c == \"d\"", "c=d" },
        { "a in {\"'\", '\"', \"c\"}", "a=c" },
        { "a in {\"'\", '\"', \"c\"}", "a=\"" },
        { "a in {\"'\", '\"', \"c\"}", "a='" },
        { "a not in {\"'\", '\"', \"c\"}", "" },
        { "a not in {\"'\", '\"', \"c\"}", "a=e" },
        { "a == 'a'", "a=a" },
        { "a != \"b\"", "a=a" },
        { "a != \"a\"", "" },
        { "a contains \"a\"", "a=a" },
        { "a contains \"a\"", "a=bab" },
        { "a contains \"a\"", "a=aaa;b=c" },
        { "a contains \"\"", "a=" },
        { "a starts with \"a\"", "a=a" },
        { "a starts with \"a\"", "a=abb" },
        { "a ends with \"a\"", "a=bba" },
        { "a ends with \"a\"", "a=aaa;b=c" },
        { "a in {\"a\"}", "a=a" },
        { "!a in {\"a\"}", "a=b" },
        { "a in {\"a\", \"b\"}", "a=b" },
        { "a not in {\"d\", \"e\"}", "a=a" },
        { "a not in {}", "a=a" },
        { "has(a)", "a=b" },
        { "has(a)", "a=" },
        { "!has(a)", "b=b" },
        { "", "" },
        { " ", "a=b" },
        { "all()", "" },
        { " all()", "a=b" },
        { "a == 'a1' && b == 'b1'", "a=a1;b=b1" },
        { "has(a) && !has(b)", "a=a" },
        { "!has(b) && has(a)", "a=a" },
        { "!(!has(a) || has(b))", "a=a" },
        { "!(has(b) || !has(a))", "a=a" },
        { "a == 'a1' || b != 'b1'", "a=a1;b=b1" },
        { "a != 'a1' || b == 'b1'", "a=a1;b=b1" },
        { "projectcalico.org/namespace == 'shop' && app.kubernetes.io/name in {'web', 'api'}", "projectcalico.org/namespace=shop;app.kubernetes.io/name=api" },
        { "projectcalico.org/orchestrator == 'k8s' && tier not in {'db'}", "projectcalico.org/orchestrator=k8s" },
        { "a == 'x' || b == 'y' && c == 'z'", "a=x" },
        { "a == 'x' || b == 'y' && c == 'z'", "b=y;c=z" },
        { "(a == 'x' || b == 'y') && c == 'z'", "a=x;c=z" },
        { "a == \"it's\"", "a=it's" },
        { "a == 'say \"hi\"'", "a=say \"hi\"" },
        { "a == \"x y\"", "a=x y" },
    };

    public static TheoryData<string, string> NonMatching() => new()
    {
        { "a == \"b\"", "" },
        { "a == \"b\"", "a=c" },
        { "a == \"b\"", "c=d" },
        { "a == \"b\"", "a=B" },
        { "a == \"b\" && c == \"d\"", "a=b;c=e" },
        { "a == \"b\" && c == \"d\"", "a=b" },
        { "a == \"b\" || c == \"d\"", "" },
        { "a == \"b\" || c == \"d\"", "a=e;c=e" },
        { "a in {\"'\", '\"', \"c\"}", "" },
        { "a in {\"'\", '\"', \"c\"}", "a=e" },
        { "a not in {\"'\", '\"', \"c\"}", "a=c" },
        { "a not in {\"'\", '\"', \"c\"}", "a='" },
        { "a in {}", "a=a" },
        { "a in {}", "" },
        { "a == 'a'", "a=b" },
        { "a == 'a'", "" },
        { "a != 'a'", "a=a" },
        { "a contains \"a\"", "" },
        { "a contains \"a\"", "a=b" },
        { "a contains \"a\"", "b=aaa" },
        { "a contains \"\"", "" },
        { "a starts with \"a\"", "a=baa" },
        { "a starts with \"a\"", "b=aaa" },
        { "a ends with \"a\"", "a=aab" },
        { "a ends with \"a\"", "" },
        { "has(b)", "a=b" },
        { "!!has(b)", "a=b" },
        { "! has(a)", "a=b" },
        { "!!! has(a)", "a=b" },
        { "!! ! has(a)", "a=b" },
        { "! !!has(a)", "a=b" },
        { "global()", "" },
        { "!all()", "" },
        { "a == 'a1' && b != 'b1'", "a=a1;b=b1" },
        { "a != 'a1' && !b == 'b1'", "a=a1;b=b1" },
        { "!a == 'a1' && b == 'b1'", "a=a1;b=b1" },
        { "a != 'a1' || b != 'b1'", "a=a1;b=b1" },
        { "! a == 'a1' || ! b == 'b1'", "a=a1;b=b1" },
        { "a == 'x' || b == 'y' && c == 'z'", "b=y" },
        { "(a == 'x' || b == 'y') && c == 'z'", "a=x" },
        { "projectcalico.org/namespace == 'shop'", "projectcalico.org/name=shop" },
    };

    [Theory]
    [MemberData(nameof(Matching))]
    public void Matches_LabelsThatSatisfyTheSelector(string selector, string labels) =>
        Assert.True(CalicoSelector.Parse(selector).Matches(SelectorLabels.Of(labels)), $"{selector} should match {{{labels}}}");

    [Theory]
    [MemberData(nameof(NonMatching))]
    public void Matches_RejectsLabelsThatDoNotSatisfyTheSelector(string selector, string labels) =>
        Assert.False(CalicoSelector.Parse(selector).Matches(SelectorLabels.Of(labels)), $"{selector} should not match {{{labels}}}");

    [Theory]
    [InlineData("global()", true, true)]
    [InlineData("global()", false, false)]
    [InlineData("!global()", true, false)]
    [InlineData("all()", true, true)]
    [InlineData("all()", false, true)]
    [InlineData("has(a)", true, true)]
    [InlineData("global() && has(a)", true, true)]
    [InlineData("global() && has(a)", false, false)]
    public void Matches_OnlyGlobalTestsWhetherTheEndpointIsNamespaced(string selector, bool isGlobal, bool expected) =>
        Assert.Equal(expected, CalicoSelector.Parse(selector).Matches(SelectorLabels.Of("a=b"), isGlobal));

    [Fact]
    public void Matches_LargeSetsFindEveryMemberAndNothingElse()
    {
        var values = Enumerable.Range(0, 200).Select(i => $"v{i * 3}").ToArray();
        var selector = new InSelector("a", values);
        for (var i = 0; i < 600; i++)
        {
            Assert.Equal(i % 3 == 0, selector.Matches(SelectorLabels.Of($"a=v{i}")));
        }
    }

    [Fact]
    public void Matches_DoesNotAllocate()
    {
        var selector = CalicoSelector.Parse(
            "projectcalico.org/namespace == 'shop' && (app in {'web', 'api', 'db'} || tier not in {'x'}) && !has(quarantine)"
            + " && version starts with 'v1' && name ends with 'z' && name contains 'a' && env != 'dev' || global()");
        IReadOnlyDictionary<string, string> labels = SelectorLabels.Of("projectcalico.org/namespace=shop;app=web;version=v1.2;name=abz");
        Assert.True(selector.Matches(labels));
        // Warm up past tiered compilation, whose one-off work may allocate; what must not allocate is each call.
        for (var i = 0; i < 50_000; i++)
        {
            selector.Matches(labels, isGlobal: (i & 1) == 0);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        var matched = 0;
        for (var i = 0; i < 10_000; i++)
        {
            matched += selector.Matches(labels, isGlobal: (i & 1) == 0) ? 1 : 0;
        }

        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 10_000, "Matches allocates on every call");
        Assert.Equal(10_000, matched);
    }
}
