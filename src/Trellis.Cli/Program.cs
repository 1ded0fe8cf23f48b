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

// Console.Out encodes UTF-8 unless the locale names another character set; then documents go through it, as the rest does.
var host = Console.OutputEncoding.CodePage == System.Text.Encoding.UTF8.CodePage ? CliHost.Process with { Utf8Stdout = Console.OpenStandardOutput() } : CliHost.Process;
return await new TrellisCli(Console.Out, Console.Error, host).RunAsync(args, interrupt.Token).ConfigureAwait(false);
