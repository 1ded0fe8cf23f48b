using System.CommandLine;
using Spectre.Console;
using Trellis.Engine;
using Trellis.Engine.Contracts;

namespace Trellis.Cli;

/// <summary>trellis migrate: moves a site's whole state between stores (SQLite and etcd) and checks the copy.</summary>
public sealed partial class TrellisCli
{
    private Command MigrateCommand()
    {
        var from = new Option<string>("--from") { Description = "Where the site is now: a state file, sqlite:PATH, or etcd://HOST:PORT[,…]/SITE", Required = true };
        var to = new Option<string>("--to") { Description = "Where to copy it: a store that holds nothing yet, in the same forms", Required = true };
        var command = new Command("migrate", "Copy a site's whole state to another store (SQLite ⇄ etcd), all or nothing, and check the copy against the source") { from, to };
        command.SetAction(async (p, ct) =>
        {
            var output = OutputFor(p);
            var source = Location(p.GetValue(from)!, "--from");
            var target = Location(p.GetValue(to)!, "--to");
            if (source.ToString() == target.ToString())
            {
                throw new UsageException("--from and --to name the same store; name the store to copy into.");
            }

            // A state file the migration creates is removed again when nothing was copied into it.
            var newFile = target is SqliteLocation { Path: var path } && !File.Exists(path) ? path : null;
            MigrationResult result;
            var copied = false;
            try
            {
                await using var reading = _host.Open(source, false);
                await using var writing = _host.Open(target, true);
                result = await StateMigration.MigrateAsync(reading, writing, ct).ConfigureAwait(false);
                copied = true;
            }
            catch (MigrationException e)
            {
                return Report(output, CommandOutcome.Refused([e.Finding with { Path = "--" + e.Finding.Path }]), null);
            }
            finally
            {
                if (!copied && newFile is not null)
                {
                    RemoveStateFile(newFile);
                }
            }

            if (output.Format != OutputFormat.Table)
            {
                output.Document(result, CliJsonContext.Default.MigrationResult);
                return ExitCodes.Ok;
            }

            output.Console.MarkupLine($"Copied {result.Items} items from {Markup.Escape(source.ToString())} (revision {result.SourceRevision}) to {Markup.Escape(target.ToString())} (revision {result.TargetRevision}).");
            foreach (var check in result.Checks)
            {
                output.Console.MarkupLine($"  [green]✓[/] the same in both: {Markup.Escape(check)}");
            }

            output.Console.MarkupLine("The source is unchanged; point every front end at the new store (--store, TRELLIS_STORE, the server's Store setting) before the next change.");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Removes a state file this command created and left empty, with SQLite's companion files.</summary>
    private static void RemoveStateFile(string path)
    {
        foreach (var file in new[] { path, path + "-wal", path + "-shm", path + "-journal" })
        {
            try
            {
                File.Delete(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Left behind: it holds nothing, and a later migration into it is allowed.
            }
        }
    }

    /// <summary>A store given by an option; an etcd store must name the site.</summary>
    private StoreLocation Location(string text, string option)
    {
        try
        {
            var location = StoreLocation.Parse(text, option, _host.Environment);
            return location is EtcdLocation { Site: null }
                ? throw new UsageException($"{option}: the etcd store {location} names no site; write it after the members (etcd://HOST:PORT/SITE).")
                : location;
        }
        catch (StoreLocationException e)
        {
            throw new UsageException(e.Message);
        }
    }
}
