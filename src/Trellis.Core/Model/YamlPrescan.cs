using Trellis.Core.Validation;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Trellis.Core.Model;

/// <summary>A YAML text checked for what YamlDotNet's YamlStream cannot load safely, before it loads it.</summary>
public static class YamlPrescan
{
    /// <summary>The deepest nesting of mappings and sequences accepted.</summary>
    public const int MaxNestingDepth = 64;

    /// <summary>A YamlSyntax error (line and column in its message, no path), as for any malformed YAML.</summary>
    /// <param name="lineOffset">Lines before the text in its file (a document of a multi-document file).</param>
    /// <param name="firstLineColumns">Characters before the text on its first line ("--- " of a document that starts there).</param>
    public static Finding Syntax(Mark at, string message, int lineOffset = 0, int firstLineColumns = 0) =>
        Finding.Error("YamlSyntax", "", $"The YAML is malformed at {Position(at, lineOffset, firstLineColumns)}: {WithoutPosition(message)}",
            "Check indentation, colons and quotes around that line.");

    /// <summary>"line L, column C" of a mark, in the file the text was cut from.</summary>
    public static string Position(Mark at, int lineOffset = 0, int firstLineColumns = 0) =>
        $"line {at.Line + lineOffset}, column {(at.Line == 1 ? at.Column + firstLineColumns : at.Column)}";

    /// <summary>A YamlDotNet message without its leading "(Line: 5, Col: 14, Idx: 80) - (Line: ...): ", which counts from the document.</summary>
    public static string WithoutPosition(string message)
    {
        var at = message.IndexOf("): ", StringComparison.Ordinal);
        return message.StartsWith("(Line:", StringComparison.Ordinal) && at > 0 ? message[(at + 3)..] : message;
    }

    /// <summary>
    /// Runs the parser alone first, because YamlDotNet's YamlStream is not safe on every bad input: it builds nodes
    /// recursively (deep nesting overflows the stack), its scanner throws InvalidOperationException on some unclosed flow
    /// collections ("a: { b: c" followed by block lines) and ArgumentException on malformed tags ("!![x"), and its
    /// parser can emit a mapping key without a value ("a:\n  : b"), on which YamlStream throws ArgumentException.
    /// </summary>
    /// <param name="lineOffset">Lines before the text in its file, added to the line numbers of the finding.</param>
    /// <param name="firstLineColumns">Characters before the text on its first line in the file.</param>
    public static Finding? Check(string yaml, int lineOffset = 0, int firstLineColumns = 0)
    {
        var parser = new Parser(new StringReader(yaml));
        var open = new Stack<(bool IsMapping, Mark Start, int Children)>();
        var last = Mark.Empty;
        try
        {
            while (parser.MoveNext())
            {
                var current = parser.Current!;
                last = current.End;
                switch (current)
                {
                    case MappingStart or SequenceStart:
                        AddChild(open);
                        open.Push((current is MappingStart, current.Start, 0));
                        if (open.Count > MaxNestingDepth)
                        {
                            return Finding.Error("YamlTooDeep", "",
                                $"The YAML nests deeper than {MaxNestingDepth} levels at {Position(current.Start, lineOffset, firstLineColumns)}.",
                                "Site specs and Kubernetes manifests nest only a few levels; check for runaway brackets or indentation.");
                        }

                        break;
                    case MappingEnd or SequenceEnd when open.Count > 0:
                        var (isMapping, start, children) = open.Pop();
                        if (isMapping && children % 2 != 0)
                        {
                            return Syntax(start, "A key of the mapping that starts here has no value.", lineOffset, firstLineColumns);
                        }

                        break;
                    case Scalar or AnchorAlias:
                        AddChild(open);
                        break;
                }
            }
        }
        catch (YamlException e)
        {
            return Syntax(e.Start, e.Message, lineOffset, firstLineColumns);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            // YamlDotNet's message here is a bare resource key (e.g. "Arg_InvalidOperationException"): say what it means.
            return Syntax(last, "the parser gave up after this point, most likely at an unclosed '{' or '[' or a malformed '!' tag", lineOffset, firstLineColumns);
        }

        return null;

        static void AddChild(Stack<(bool IsMapping, Mark Start, int Children)> open)
        {
            if (open.TryPop(out var top))
            {
                open.Push(top with { Children = top.Children + 1 });
            }
        }
    }

    /// <summary>
    /// The YAML documents of <paramref name="yaml"/>, or the finding that refuses the text: longer than
    /// <paramref name="maxCharacters"/> (SpecTooLarge, with <paramref name="splitHint"/>), nested too deep, or malformed (YamlSyntax).
    /// </summary>
    public static (YamlDotNet.RepresentationModel.YamlStream? Stream, Finding? Problem) Load(string yaml, int maxCharacters, string what, string splitHint)
    {
        if (yaml.Length > maxCharacters)
        {
            return (null, Finding.Error("SpecTooLarge", "", $"The {what} is {yaml.Length:N0} characters; at most {maxCharacters:N0} are read.", splitHint));
        }

        if (Check(yaml) is { } refused)
        {
            return (null, refused);
        }

        var stream = new YamlDotNet.RepresentationModel.YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
            return (stream, null);
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            return (null, Syntax(e.Start, e.Message));
        }
    }
}
