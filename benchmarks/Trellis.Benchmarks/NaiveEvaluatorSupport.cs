namespace Trellis.Policy.Tests.Evaluation;

/// <summary>
/// The one xunit call that the linked NaiveEvaluator.cs (tests/Trellis.Policy.Tests/Evaluation) makes, so that the
/// file compiles here unchanged without a test framework: it asserts that a rule names no Kubernetes Service.
/// </summary>
internal static class Assert
{
    public static void Null(object? value)
    {
        if (value is not null)
        {
            throw new InvalidOperationException($"The naive evaluator does not support {value}.");
        }
    }
}
