using Trellis.Server.Tests.Infrastructure;

namespace Trellis.Server.Tests.Dashboard;

/// <summary>The tokens the dashboard tests sign in with.</summary>
internal static class TestTokens
{
    /// <summary>A new Reader token on every site of <paramref name="server"/>'s fleet.</summary>
    public static string Reader(TestServer server) => server.Token(AccessRole.Reader,
        [.. Directory.EnumerateFiles(Path.Combine(server.DataDirectory, "sites"), "*.db").Select(f => Path.GetFileNameWithoutExtension(f))]);
}
