using System.Management.Automation;
using Trellis.Engine;
using Trellis.Engine.Contracts;

namespace Trellis.PowerShell;

/// <summary>
/// What every Trellis cmdlet shares: the state (-Store or -StatePath, else $env:TRELLIS_STORE, else $env:TRELLIS_STATE,
/// else .trellis/state.db, as the CLI finds it), Engine calls cancelled by Ctrl+C, findings written as ErrorRecords and warnings, and changes planned
/// before they are committed so that -WhatIf shows the plan and writes nothing.
/// </summary>
public abstract class TrellisCmdlet : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _stop = new();

    /// <summary>The state file; relative paths are relative to PowerShell's current location.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? StatePath { get; set; }

    /// <summary>Cancelled when the user presses Ctrl+C (StopProcessing).</summary>
    protected CancellationToken Cancellation => _stop.Token;

    protected override void StopProcessing() => _stop.Cancel();

    /// <summary>PowerShell disposes a cmdlet that is disposable when its pipeline ends.</summary>
    public void Dispose()
    {
        _stop.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Where the state is: a state file's path, sqlite:PATH, or etcd://HOST:PORT[,HOST:PORT…]/SITE (etcds:// for TLS).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Store { get; set; }

    /// <summary>The store, resolved as the CLI resolves it but with a state file's path against PowerShell's location.</summary>
    protected StoreLocation ResolvedStore
    {
        get
        {
            try
            {
                return StateLocation.Resolve(Store, StatePath, SessionState.Path.GetUnresolvedProviderPathFromPSPath);
            }
            catch (Exception e) when (e is StoreLocationException or StoreChoiceException)
            {
                ThrowTerminatingError(new ErrorRecord(new PSArgumentException(e.Message, e), (e as StoreChoiceException)?.ErrorId ?? "InvalidStore", ErrorCategory.InvalidArgument, Store ?? StatePath)
                {
                    ErrorDetails = new ErrorDetails(e.Message)
                    {
                        RecommendedAction = "Give -Store a state file's path, sqlite:PATH or etcd://HOST:PORT/SITE (or -StatePath a state file), or set TRELLIS_STORE or TRELLIS_STATE.",
                    },
                });
                throw; // not reached: ThrowTerminatingError throws
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> on an engine over the state file, opened for writing or for reading only; store failures
    /// and exhausted retries end the command as terminating ErrorRecords (StoreError, Conflict), never as a .NET exception.
    /// </summary>
    protected T WithEngine<T>(bool write, Func<TrellisEngine, CancellationToken, Task<T>> work) =>
        WithSession(write, engine => Run(() => work(engine, Cancellation)));

    /// <summary>
    /// Plans <paramref name="command"/> on a read-only look at the state, asks ShouldProcess with the plan in words (so -WhatIf
    /// prints it and -Confirm shows it; nothing is created or written until then), then commits exactly that plan, or nothing
    /// when the state moved since (StateChanged). Returns the result, or null when the plan was refused (its findings written as
    /// errors) or the user declined (-WhatIf, or No at -Confirm). Findings whose path is a key of <paramref name="parameters"/>
    /// name that parameter instead (<c>cluster</c> is -ClusterName). Findings and the question are written on the pipeline's
    /// thread, the only one PowerShell lets a cmdlet write from; the Engine's calls run off it.
    /// </summary>
    protected CommandResult? Change(SiteCommand command, string target, string action, IReadOnlyDictionary<string, string>? parameters = null)
    {
        IEnumerable<Finding> Named(IEnumerable<Finding> findings) => parameters is null ? findings : ParameterWords.In(findings, parameters);

        var plan = WithEngine(write: false, (engine, token) => engine.PlanAsync(command, token));
        WriteFindings(Named(plan.Findings));
        if (plan.HasErrors || !ShouldProcess(PlanText.Describe(action, target, plan), PlanText.Question(action, target), action))
        {
            return null;
        }

        var result = WithEngine(write: true, (engine, token) => engine.CommitAsync(plan, new CommandOptions(Actor: Environment.UserName), token));
        WriteFindings(Named(result.Findings.Where(f => !plan.Findings.Contains(f))));
        return result;
    }

    /// <summary>
    /// Runs <paramref name="work"/> on the pipeline's thread with an engine over the state file, closed afterwards; store
    /// failures and exhausted retries become terminating ErrorRecords, Ctrl+C a stopped pipeline.
    /// </summary>
    private T WithSession<T>(bool write, Func<TrellisEngine, T> work)
    {
        var location = ResolvedStore;
        EngineSession? session = null;
        try
        {
            if (write && location is SqliteLocation { Path: var path } && Path.GetDirectoryName(path) is { Length: > 0 } folder)
            {
                Directory.CreateDirectory(folder);
            }

            session = EngineSession.Open(location, write);
            return work(session.Engine);
        }
        catch (Exception e) when (EngineFailures.Classify(e) is { } kind)
        {
            var (id, category) = kind == FailureKind.Store ? ("StoreError", ErrorCategory.ReadError) : ("Conflict", ErrorCategory.ResourceBusy);
            ThrowTerminatingError(new ErrorRecord(e, id, category, location.ToString())
            {
                ErrorDetails = new ErrorDetails(e.Message)
                {
                    RecommendedAction = kind == FailureKind.Store
                        ? location is SqliteLocation
                            ? "Check -StatePath (or TRELLIS_STATE): it must name a Trellis state file or a path where one can be created."
                            : "Check -Store (or TRELLIS_STORE): a majority of the etcd members must answer, with the TLS and user options they need (docs/etcd.md)."
                        : "Another writer kept changing the site; run the command again.",
                },
            });
            throw; // not reached: ThrowTerminatingError throws
        }
        catch (OperationCanceledException) when (Cancellation.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        finally
        {
            if (session is not null)
            {
                Run(async () =>
                {
                    await session.DisposeAsync().ConfigureAwait(false);
                    return true;
                });
            }
        }
    }

    /// <summary>Writes each finding: errors as non-terminating ErrorRecords (the code is the error id), warnings as warnings.</summary>
    protected void WriteFindings(IEnumerable<Finding> findings)
    {
        foreach (var finding in findings)
        {
            if (finding.Severity == Severity.Error)
            {
                WriteError(FindingRecords.From(finding));
            }
            else
            {
                WriteWarning(FindingRecords.WarningText(finding));
            }
        }
    }

    /// <summary>Runs an async Engine call on the pipeline thread (PowerShell has no synchronization context there).</summary>
    private static T Run<T>(Func<Task<T>> work) => Task.Run(work).GetAwaiter().GetResult();
}
