using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Trellis.Core.Tests.Validation;

/// <summary>
/// Every finding code the program can emit, found by compiling src/ with Roslyn: a code is whatever reaches a string
/// parameter, property or field named <c>code</c> or <c>…Code</c> (<see cref="Finding"/>'s, and every helper that passes one on).
/// Values are read as constants through conditionals and switch expressions; a value the scan cannot read is reported,
/// so that no code can hide from the documentation test.
/// </summary>
internal static class EmittedCodes
{
    /// <summary>The projects in layer order: each compilation references the ones before it.</summary>
    private static readonly string[] Projects = ["Trellis.Core", "Trellis.Policy", "Trellis.Rendering", "Trellis.Storage", "Trellis.Engine", "Trellis.Cli"];

    private static readonly string[] ImplicitUsings =
        ["System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Threading", "System.Threading.Tasks"];

    public sealed record Scan(IReadOnlySet<string> Codes, IReadOnlyList<string> Unreadable, IReadOnlyList<string> Unbound, int Projects);

    public static Scan Run(string repositoryRoot)
    {
        var src = Path.Combine(repositoryRoot, "src");
        var references = References(src);
        var codes = new SortedSet<string>(StringComparer.Ordinal);
        var unreadable = new List<string>();
        var unbound = new List<string>();
        var compiled = 0;
        foreach (var project in Projects.Where(p => Directory.Exists(Path.Combine(src, p)))
                     .Concat(Directory.GetDirectories(src).Select(Path.GetFileName).OfType<string>().Where(p => !Projects.Contains(p)).Order(StringComparer.Ordinal)))
        {
            var folder = Path.Combine(src, project);
            var options = new CSharpParseOptions(LanguageVersion.Preview);
            var trees = Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories)
                .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                    && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
                .Select(f => CSharpSyntaxTree.ParseText(File.ReadAllText(f), options, f))
                .Append(CSharpSyntaxTree.ParseText(string.Concat(ImplicitUsings.Concat(ProjectUsings(folder)).Select(u => $"global using {u};\n")), options))
                .ToList();
            var compilation = CSharpCompilation.Create(project, trees, references,
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
            references = [.. references, compilation.ToMetadataReference()];
            compiled++;
            foreach (var tree in trees)
            {
                Collect(compilation.GetSemanticModel(tree), tree, codes, unreadable, unbound);
            }
        }

        return new Scan(codes, unreadable, unbound, compiled);
    }

    private static List<MetadataReference> References(string src)
    {
        // The framework of this test host, and the packages the projects use (from their build output).
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator).ToList();
        var names = paths.Select(Path.GetFileName).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var dll in Directory.EnumerateFiles(src, "*.dll", SearchOption.AllDirectories)
                     .Where(f => f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)))
        {
            var name = Path.GetFileName(dll);
            if (!name.StartsWith("Trellis.", StringComparison.Ordinal) && names.Add(name))
            {
                paths.Add(dll);
            }
        }

        return paths.Where(p => !Path.GetFileName(p).StartsWith("Trellis.", StringComparison.Ordinal))
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToList();
    }

    /// <summary>The project's own global usings (&lt;Using Include="…" /&gt;).</summary>
    private static IEnumerable<string> ProjectUsings(string folder) =>
        Directory.EnumerateFiles(folder, "*.csproj")
            .SelectMany(f => System.Xml.Linq.XDocument.Load(f).Descendants("Using"))
            .Select(u => (string?)u.Attribute("Include"))
            .OfType<string>();

    private static bool IsCodeName(string name) => name is "code" or "Code" || name.EndsWith("Code", StringComparison.Ordinal);

    private static void Collect(SemanticModel model, SyntaxTree tree, SortedSet<string> codes, List<string> unreadable, List<string> unbound)
    {
        var root = tree.GetRoot();
        foreach (var node in root.DescendantNodes())
        {
            switch (node)
            {
                case InvocationExpressionSyntax or ObjectCreationExpressionSyntax or ImplicitObjectCreationExpressionSyntax:
                    var info = model.GetSymbolInfo(node);
                    var method = info.Symbol as IMethodSymbol ?? info.CandidateSymbols.OfType<IMethodSymbol>().FirstOrDefault();
                    var arguments = node switch
                    {
                        InvocationExpressionSyntax call => call.ArgumentList,
                        BaseObjectCreationExpressionSyntax creation => creation.ArgumentList,
                        _ => null,
                    };
                    if (method is null)
                    {
                        // A call the scan cannot bind could hide a code: only a literal in a code-like position matters.
                        if (arguments?.Arguments.Any(a => a.Expression is LiteralExpressionSyntax { Token.Value: string s } && LooksLikeCode(s)) == true
                            && node is not InvocationExpressionSyntax { Expression: IdentifierNameSyntax { Identifier.Text: "nameof" } })
                        {
                            unbound.Add(Where(node));
                        }

                        break;
                    }

                    if (arguments is null)
                    {
                        break;
                    }

                    for (var i = 0; i < arguments.Arguments.Count; i++)
                    {
                        var argument = arguments.Arguments[i];
                        var parameter = argument.NameColon is { } named
                            ? method.Parameters.FirstOrDefault(p => p.Name == named.Name.Identifier.Text)
                            : i < method.Parameters.Length ? method.Parameters[i] : null;
                        if (parameter is { Type.SpecialType: SpecialType.System_String } && IsCodeName(parameter.Name))
                        {
                            Read(model, argument.Expression, codes, unreadable);
                        }
                    }

                    break;
                case AssignmentExpressionSyntax { Left: IdentifierNameSyntax or MemberAccessExpressionSyntax } assignment
                    when model.GetSymbolInfo(assignment.Left).Symbol is IPropertySymbol { Type.SpecialType: SpecialType.System_String } or IFieldSymbol { Type.SpecialType: SpecialType.System_String }
                    && IsCodeName(model.GetSymbolInfo(assignment.Left).Symbol!.Name):
                    Read(model, assignment.Right, codes, unreadable);
                    break;
            }
        }
    }

    private static bool LooksLikeCode(string s) =>
        s.Length > 3 && char.IsAsciiLetterUpper(s[0]) && s.All(char.IsAsciiLetterOrDigit) && s.Skip(1).Any(char.IsAsciiLetterUpper);

    /// <summary>The constant codes an expression can take; forwarding a code parameter or property adds nothing.</summary>
    private static void Read(SemanticModel model, ExpressionSyntax expression, SortedSet<string> codes, List<string> unreadable)
    {
        switch (expression)
        {
            case ParenthesizedExpressionSyntax p:
                Read(model, p.Expression, codes, unreadable);
                return;
            case ConditionalExpressionSyntax c:
                Read(model, c.WhenTrue, codes, unreadable);
                Read(model, c.WhenFalse, codes, unreadable);
                return;
            case SwitchExpressionSyntax s:
                foreach (var arm in s.Arms)
                {
                    Read(model, arm.Expression, codes, unreadable);
                }

                return;
        }

        if (model.GetConstantValue(expression) is { HasValue: true, Value: string code })
        {
            codes.Add(code);
            return;
        }

        var symbol = model.GetSymbolInfo(expression).Symbol;
        if (symbol is IParameterSymbol or IPropertySymbol or IFieldSymbol && IsCodeName(symbol.Name))
        {
            return;
        }

        if (symbol is ILocalSymbol local && local.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax() is VariableDeclaratorSyntax { Initializer.Value: { } value })
        {
            Read(model, value, codes, unreadable);
            return;
        }

        unreadable.Add($"{Where(expression)}: {expression}");
    }

    private static string Where(SyntaxNode node)
    {
        var line = node.GetLocation().GetLineSpan();
        return $"{Path.GetFileName(line.Path)}:{line.StartLinePosition.Line + 1}";
    }
}
