using System.Runtime.InteropServices;
using Trellis.Cli;

// Ctrl-C and SIGTERM cancel the command instead of killing the process, so that a command which already committed
// still prints what it wrote; a second Ctrl-C ends the process at once.
using var interrupt = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = !interrupt.IsCancellationRequested;
    interrupt.Cancel();
};
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    interrupt.Cancel();
});

return await new TrellisCli(Console.Out, Console.Error).RunAsync(args, interrupt.Token).ConfigureAwait(false);
