using System.Management.Automation;
using Trellis.Engine.Contracts;

namespace Trellis.PowerShell.Tests;

public sealed class FindingRecordsTests
{
    [Theory]
    [InlineData("NoSite", ErrorCategory.ObjectNotFound)]
    [InlineData("UnknownCluster", ErrorCategory.ObjectNotFound)]
    [InlineData("UnknownNodePool", ErrorCategory.ObjectNotFound)]
    [InlineData("UnknownField", ErrorCategory.InvalidArgument)]
    [InlineData("DuplicateName", ErrorCategory.ResourceExists)]
    [InlineData("ImmutableField", ErrorCategory.InvalidOperation)]
    [InlineData("DefinitionInUse", ErrorCategory.InvalidOperation)]
    [InlineData("PoolExhausted", ErrorCategory.LimitsExceeded)]
    [InlineData("VipPoolTooSmall", ErrorCategory.LimitsExceeded)]
    [InlineData("UpgradeInterrupted", ErrorCategory.OperationStopped)]
    [InlineData("InvalidControlPlaneCount", ErrorCategory.InvalidArgument)]
    public void AFindingCode_HasTheCategoryOfWhatWentWrong(string code, ErrorCategory category) => Assert.Equal(category, FindingRecords.Category(code));

    [Fact]
    public void AnErrorRecord_CarriesTheCodeAsItsId_TheFieldAsItsTarget_AndTheHintAsItsRecommendedAction()
    {
        var finding = Finding.Error("UnknownCluster", "clusterName", "No cluster 'zz' is stored.", "List the stored clusters with Get-AksHciCluster.");

        var record = FindingRecords.From(finding);

        Assert.Equal("UnknownCluster", record.FullyQualifiedErrorId);
        Assert.Equal("clusterName", record.TargetObject);
        Assert.Equal("List the stored clusters with Get-AksHciCluster.", record.ErrorDetails.RecommendedAction);
        Assert.Same(finding, Assert.IsType<FindingException>(record.Exception).Finding);
    }
}
