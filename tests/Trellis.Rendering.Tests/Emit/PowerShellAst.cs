using System.Management.Automation.Language;
using Trellis.Rendering.Emit;

namespace Trellis.Rendering.Tests.Emit;

/// <summary>A rendered script read by PowerShell's own parser, as pwsh and Windows PowerShell would read it.</summary>
internal sealed class PowerShellAst
{
    private PowerShellAst(ScriptBlockAst root) => Root = root;

    public ScriptBlockAst Root { get; }

    /// <summary>Parses the script; a parse error fails the test. A leading byte order mark is the file's encoding, not code.</summary>
    public static PowerShellAst Parse(string script)
    {
        var text = script.TrimStart(PowerShellText.ByteOrderMark);
        var root = Parser.ParseInput(text, out _, out var errors);
        Assert.True(errors.Length == 0, "PowerShell cannot parse the script: " + string.Join("; ", errors.Select(e => $"{e.Extent.StartLineNumber}: {e.Message}")));
        return new PowerShellAst(root);
    }

    public IReadOnlyList<CommandAst> Commands => Root.FindAll(a => a is CommandAst, searchNestedScriptBlocks: true).Cast<CommandAst>().ToList();

    /// <summary>The names of every command the script runs, in order.</summary>
    public IReadOnlyList<string> CommandNames => Commands.Select(c => c.GetCommandName() ?? "<dynamic>").ToList();

    /// <summary>The value given to a named parameter of each call of a command, as the parser reads it.</summary>
    public IReadOnlyList<Ast> Arguments(string command, string parameter) =>
        Commands.Where(c => string.Equals(c.GetCommandName(), command, StringComparison.OrdinalIgnoreCase))
            .Select(c =>
            {
                var elements = c.CommandElements;
                for (var i = 0; i < elements.Count; i++)
                {
                    if (elements[i] is CommandParameterAst p && string.Equals(p.ParameterName, parameter, StringComparison.OrdinalIgnoreCase))
                    {
                        return p.Argument ?? elements[i + 1];
                    }
                }

                throw new Xunit.Sdk.XunitException($"{command} has no -{parameter}: {c.Extent.Text}");
            }).ToList();

    /// <summary>The string a parameter's argument holds: it must be one constant string, nothing the shell expands or runs.</summary>
    public IReadOnlyList<string> StringArguments(string command, string parameter) =>
        Arguments(command, parameter).Select(a =>
        {
            var constant = Assert.IsType<StringConstantExpressionAst>(a);
            Assert.Equal(StringConstantType.SingleQuoted, constant.StringConstantType);
            return constant.Value;
        }).ToList();
}
