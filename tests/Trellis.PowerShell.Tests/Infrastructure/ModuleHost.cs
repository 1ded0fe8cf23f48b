using System.Collections;
using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using PS = System.Management.Automation.PowerShell;

namespace Trellis.PowerShell.Tests;

/// <summary>What a script run in the hosted PowerShell gave: its output objects and every error record it wrote.</summary>
public sealed record ScriptRun(IReadOnlyList<PSObject> Output, IReadOnlyList<ErrorRecord> Errors, IReadOnlyList<string> Warnings, IReadOnlyList<string> Information)
{
    /// <summary>The output's base objects of type <typeparamref name="T"/>.</summary>
    public IReadOnlyList<T> Objects<T>() => [.. Output.Select(o => o.BaseObject).OfType<T>()];

    /// <summary>The output as text, one entry per object.</summary>
    public IReadOnlyList<string> OutputTexts() => [.. Output.Select(o => o?.ToString() ?? "")];

    /// <summary>The single error's id as the finding code, without PowerShell's ",<cmdlet type>" suffix.</summary>
    public string ErrorCode => Assert.Single(Errors).FullyQualifiedErrorId.Split(',')[0];

    public ScriptRun Succeeded()
    {
        Assert.True(Errors.Count == 0, "the script wrote errors:\n" + string.Join("\n", Errors.Select(e => $"{e.FullyQualifiedErrorId}: {e}")));
        return this;
    }
}

/// <summary>
/// PowerShell hosted in the test process with the module imported from its manifest in the test output, as Import-Module does it.
/// Each run is a fresh runspace whose current location is <paramref name="folder"/>, with TRELLIS_STATE cleared so that only
/// -StatePath (or the default under the folder) names the state.
/// </summary>
public sealed class ModuleHost(string folder)
{
    public static string Manifest => Path.Combine(AppContext.BaseDirectory, "Trellis.psd1");

    /// <summary>Runs <paramref name="script"/>; <paramref name="parameters"/> become its variables ($name).</summary>
    public ScriptRun Run(string script, IDictionary? parameters = null, bool whatIfConfirmOff = true)
    {
        var iss = InitialSessionState.CreateDefault2();
        iss.ImportPSModule(Manifest);
        iss.EnvironmentVariables.Add(new SessionStateVariableEntry("TRELLIS_STATE", null, ""));
        using var runspace = RunspaceFactory.CreateRunspace(iss);
        runspace.Open();
        runspace.SessionStateProxy.Path.SetLocation(folder);
        runspace.SessionStateProxy.SetVariable("ConfirmPreference", "None");
        Environment.SetEnvironmentVariable("TRELLIS_STATE", null);
        if (parameters is not null)
        {
            foreach (DictionaryEntry p in parameters)
            {
                runspace.SessionStateProxy.SetVariable((string)p.Key, p.Value);
            }
        }

        using var ps = PS.Create(runspace);
        ps.AddScript(script);
        Collection<PSObject> output;
        try
        {
            output = ps.Invoke();
        }
        catch (RuntimeException e)
        {
            // A terminating error: reported like the others, so that tests assert on its record.
            return new ScriptRun([], [e.ErrorRecord, .. ps.Streams.Error], Texts(ps.Streams.Warning), Texts(ps.Streams.Information));
        }

        return new ScriptRun([.. output], [.. ps.Streams.Error], Texts(ps.Streams.Warning), Texts(ps.Streams.Information));
    }

    private static IReadOnlyList<string> Texts<T>(PSDataCollection<T> records) => [.. records.Select(r => r?.ToString() ?? "")];
}
