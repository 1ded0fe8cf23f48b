using System.CommandLine;
using Spectre.Console;
using Trellis.Cli;
using Trellis.Engine;
using Trellis.Storage;

try
{
    return await new TrellisCli(Console.Out, Console.Error).RunAsync(args).ConfigureAwait(false);
}
catch (StoreException e)
{
    await Console.Error.WriteLineAsync($"trellis: store error: {e.Message}").ConfigureAwait(false);
    return ExitCodes.ConflictOrStore;
}
catch (ConflictException e)
{
    await Console.Error.WriteLineAsync($"trellis: conflict: {e.Message}").ConfigureAwait(false);
    return ExitCodes.ConflictOrStore;
}
