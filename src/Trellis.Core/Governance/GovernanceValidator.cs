using Trellis.Core.Validation;

namespace Trellis.Core.Governance;

/// <summary>
/// Checks a set of definitions and assignments before it is stored: every assignment names a definition there is, gives
/// each parameter a value of its type (or leaves it to a default), and names no parameter the definition lacks.
/// </summary>
public static class GovernanceValidator
{
    public static IReadOnlyList<Finding> Validate(GovernanceSet set)
    {
        var findings = new List<Finding>();
        foreach (var definition in set.Definitions.Where(d => BuiltInDefinitions.Find(d.Name) is not null))
        {
            findings.Add(Finding.Error("DuplicateName", "metadata.name", $"'{definition.Name}' is the name of a built-in definition.", "Name the definition otherwise."));
        }

        foreach (var definition in set.Definitions)
        {
            findings.AddRange(GovernanceRules.Check(definition));
        }

        foreach (var a in set.Assignments)
        {
            var at = $"assignment '{a.Name}'";
            if (set.Definition(a.Definition) is not { } definition)
            {
                findings.Add(Finding.Error("UnknownDefinition", "spec.definition", $"The {at} names definition '{a.Definition}', which there is not.",
                    $"Name a built-in ({string.Join(", ", BuiltInDefinitions.All.Select(b => b.Name))}) or a PolicyDefinition of the file."));
                continue;
            }

            foreach (var (name, value) in a.Parameters)
            {
                if (definition.Parameters.FirstOrDefault(p => p.Name == name) is not { } parameter)
                {
                    findings.Add(Finding.Error("UnknownParameter", $"spec.parameters.{name}", $"Definition '{definition.Name}' of the {at} takes no parameter '{name}'.",
                        definition.Parameters.Count == 0 ? "It takes none: remove 'parameters'." : $"It takes: {string.Join(", ", definition.Parameters.Select(p => p.Name))}."));
                }
                else if (!Fits(parameter.Type, value))
                {
                    findings.Add(Finding.Error("ParameterTypeMismatch", $"spec.parameters.{name}", $"Parameter '{name}' of the {at} is {value}, not a {Words(parameter.Type)}.",
                        $"Give a {Words(parameter.Type)}{(parameter.Type == PolicyParameterType.StringList ? ", e.g. [calico]" : "")}."));
                }
            }

            foreach (var missing in definition.Parameters.Where(p => p.Default is null && !a.Parameters.ContainsKey(p.Name)))
            {
                findings.Add(Finding.Error("ParameterMissing", $"spec.parameters.{missing.Name}", $"Definition '{definition.Name}' of the {at} needs parameter '{missing.Name}' ({missing.Description ?? Words(missing.Type)}).",
                    $"Add 'parameters: {{ {missing.Name}: … }}' to the assignment."));
            }
        }

        return findings;
    }

    private static bool Fits(PolicyParameterType type, PolicyValue value) => type switch
    {
        PolicyParameterType.StringList => value.List is not null || value.Text is not null,
        PolicyParameterType.Number => value.Number is not null,
        PolicyParameterType.Boolean => value.Flag is not null,
        _ => value.Text is not null,
    };

    private static string Words(PolicyParameterType type) => type switch
    {
        PolicyParameterType.StringList => "list of values",
        PolicyParameterType.Number => "number",
        PolicyParameterType.Boolean => "true or false",
        _ => "text value",
    };
}
