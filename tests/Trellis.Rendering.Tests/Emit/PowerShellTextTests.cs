using CsCheck;
using Trellis.Rendering.Emit;

namespace Trellis.Rendering.Tests.Emit;

public class PowerShellTextTests
{
    [Fact]
    public void Quote_EveryValue_ParsesBackToItselfAsOneSingleQuotedString()
    {
        var chars = PowerShellText.SingleQuotes.Concat("\"`$#;(){}@\n\r\t\0\u2028\u2029\u201C\u201D\u201E -x").ToArray();
        Gen.Char[new string(chars)].Array[0, 40].Sample(a =>
        {
            var value = new string(a);
            var ast = PowerShellAst.Parse($"Write-Output -InputObject {PowerShellText.Quote(value)}");

            Assert.Equal(["Write-Output"], ast.CommandNames);
            Assert.Equal([value], ast.StringArguments("Write-Output", "InputObject"));
        });
    }

    [Fact]
    public void Comment_NoValueCanEndTheLine()
    {
        var ast = PowerShellAst.Parse(PowerShellText.Comment("a\nWrite-Host 1\rWrite-Host 2\u2028Write-Host 3\u0085Write-Host 4\u2029Write-Host 5") + "\nWrite-Output");

        Assert.Equal(["Write-Output"], ast.CommandNames);
    }
}
