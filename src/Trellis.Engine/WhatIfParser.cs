using Trellis.Engine.Contracts;

namespace Trellis.Engine;

/// <summary>
/// Splits what-if text such as "add-nodepool cluster=b name=win osType=Windows count=10" into a change, the words every front
/// end takes (the CLI's --what-if, the module's -WhatIfChange); <see cref="WhatIfQuestions"/> checks its fields.
/// </summary>
public static class WhatIfParser
{
    /// <param name="index">The question's place among those asked together: findings name it <c>whatIf[index]</c>.</param>
    public static (WhatIfChange? Change, Finding? Problem) Parse(string question, int index)
    {
        ArgumentNullException.ThrowIfNull(question);
        var words = question.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0)
        {
            return Fail(question, index, "The question is empty.");
        }

        var fields = new List<KeyValuePair<string, string>>();
        foreach (var word in words.Skip(1))
        {
            var eq = word.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                return Fail(question, index, $"'{word}' is not key=value.");
            }

            fields.Add(new(word[..eq], word[(eq + 1)..]));
        }

        return (new WhatIfChange(words[0], fields), null);
    }

    private static (WhatIfChange?, Finding?) Fail(string question, int index, string problem) =>
        (null, Finding.Error("InvalidWhatIf", $"whatIf[{index}]", $"{problem} ({question})",
            "Write e.g. \"add-nodepool cluster=b name=win osType=Windows count=10\", \"scale-nodepool cluster=b name=linuxpool count=20\", \"add-service cluster=a port=443\", \"add-cluster name=c workers=3\"."));
}
