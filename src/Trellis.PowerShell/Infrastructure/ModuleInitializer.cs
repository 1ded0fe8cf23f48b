using System.Management.Automation;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace Trellis.PowerShell;

/// <summary>
/// Loads the module's dependencies in pwsh.
/// Flat layout (the build output): the Engine and its packages load into the default context next to this dll; only the native
/// SQLite library needs help, because pwsh probes for a [DllImport] library in its own runtimes folder, the .NET folder and the
/// importing assembly's folder, never in the module's runtimes/{rid}/native/ (DllNotFoundException 'e_sqlite3' otherwise).
/// Isolated layout (a deps/ folder beside this dll): the Engine, Core, YamlDotNet, SQLite... load into a context of their own,
/// so another module's YamlDotNet or SQLite of another version cannot clash with ours.
/// </summary>
/// <remarks>
/// OnImport runs on every import (each runspace of a host imports again); the handlers are added once per process and stay:
/// the default load context never unloads the module's assemblies, so Remove-Module cannot take them back either.
/// </remarks>
public sealed class ModuleInitializer : IModuleAssemblyInitializer
{
    private static readonly string Folder = Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location)!;
    private static int _registered;

    public void OnImport()
    {
        if (Interlocked.Exchange(ref _registered, 1) != 0)
        {
            return;
        }

        var deps = Path.Combine(Folder, "deps");
        if (Directory.Exists(deps))
        {
            var context = new DependencyContext(deps);

            // Only the Engine is asked for by this assembly; everything else is the Engine's and resolves inside its context.
            AssemblyLoadContext.Default.Resolving += (_, name) => name.Name == "Trellis.Engine" ? context.LoadFromAssemblyName(name) : null;
        }
        else
        {
            AssemblyLoadContext.Default.ResolvingUnmanagedDll += (_, name) => NativeSqlite.Load(Folder, name);
        }
    }

    private sealed class DependencyContext(string folder) : AssemblyLoadContext("Trellis.PowerShell dependencies")
    {
        protected override Assembly? Load(AssemblyName assemblyName)
        {
            var path = Path.Combine(folder, assemblyName.Name + ".dll");

            // Not ours (the framework, System.Management.Automation): the default context's.
            return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
        }

        protected override IntPtr LoadUnmanagedDll(string unmanagedDllName) => NativeSqlite.Load(folder, unmanagedDllName);
    }
}

/// <summary>The e_sqlite3 library of runtimes/{rid}/native/ under a folder, for this OS and CPU.</summary>
internal static class NativeSqlite
{
    public static IntPtr Load(string folder, string name)
    {
        if (name != "e_sqlite3")
        {
            return IntPtr.Zero;
        }

        var file = OperatingSystem.IsWindows() ? "e_sqlite3.dll" : OperatingSystem.IsMacOS() ? "libe_sqlite3.dylib" : "libe_sqlite3.so";
        foreach (var rid in Rids())
        {
            var path = Path.Combine(folder, "runtimes", rid, "native", file);
            if (File.Exists(path) && NativeLibrary.TryLoad(path, out var handle))
            {
                return handle;
            }
        }

        return IntPtr.Zero;
    }

    /// <summary>The runtime's own identifier (portable on Microsoft's builds), then the portable one for this OS and CPU.</summary>
    private static IEnumerable<string> Rids()
    {
        yield return RuntimeInformation.RuntimeIdentifier;
        var arch = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        var os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx"
            : RuntimeInformation.RuntimeIdentifier.Contains("musl", StringComparison.Ordinal) ? "linux-musl" : "linux";
        yield return $"{os}-{arch}";
    }
}
