using Trellis.Engine.Contracts;
using Validation = Trellis.Core.Validation;

namespace Trellis.Engine.Tests;

public sealed class ContractMappingTests
{
    [Theory]
    [InlineData(Validation.Severity.Info, Severity.Info)]
    [InlineData(Validation.Severity.Warning, Severity.Warning)]
    [InlineData(Validation.Severity.Error, Severity.Error)]
    public void Finding_KeepsEveryFieldAndTheSeverity(Validation.Severity from, Severity to)
    {
        var finding = new Validation.Finding("VipPoolTooSmall", "clusters[0].services", "message", "hint", from).ToContract();

        Assert.Equal(new Finding("VipPoolTooSmall", "clusters[0].services", "message", "hint", to), finding);
    }

    [Fact]
    public void Severity_HasTheSameMembersAsTheCoreOne() =>
        Assert.Equal(Enum.GetNames<Validation.Severity>(), Enum.GetNames<Severity>());
}
