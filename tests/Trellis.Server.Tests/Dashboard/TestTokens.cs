namespace Trellis.Server.Tests.Dashboard;

/// <summary>The tokens the dashboard tests sign in with.</summary>
internal static class TestTokens
{
    public const string Reader = "trl_000000000000_reader-token-of-the-dashboard-tests";
}
