using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Trellis.TestSupport;

namespace Trellis.Server.Tests;

/// <summary>
/// The native AOT <c>trellis-server</c> that <c>./trellis serve</c> publishes (test.sh runs <c>./trellis serve --help</c>
/// before the tests): it must really be native (an ILC warning makes ./trellis fall back to ReadyToRun silently) and serve.
/// </summary>
public sealed class NativeServerTests
{
    private static string Binary()
    {
        var root = Directory.GetParent(ExampleState.ExamplesDirectory)!.FullName;
        var folder = Path.Combine(root, "artifacts", "trellis-server");
        var binary = Path.Combine(folder, "trellis-server");
        Assert.True(File.Exists(binary), $"No trellis-server binary at {binary}: run ./trellis serve --help once (test.sh does).");
        Assert.False(File.Exists(Path.Combine(folder, "trellis-server.dll")),
            $"{folder} holds trellis-server.dll: the native build failed and ./trellis fell back to ReadyToRun (its log is named on standard error). Install clang and zlib1g-dev, fix the ILC warnings, and run ./trellis serve --help.");
        var separator = Path.DirectorySeparatorChar;
        var newest = Directory.EnumerateFiles(Path.Combine(root, "src"), "*", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{separator}obj{separator}", StringComparison.Ordinal) && !f.Contains($"{separator}bin{separator}", StringComparison.Ordinal))
            .Max(File.GetLastWriteTimeUtc);
        Assert.True(File.GetLastWriteTimeUtc(Path.Combine(folder, ".built")) >= newest,
            $"The trellis-server binary at {binary} is older than the sources: run ./trellis serve --help to rebuild it.");
        return binary;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task The_native_server_serves_a_fleet_folder_on_loopback()
    {
        var binary = Binary();
        using var data = new TempFolder();
        var port = FreePort();
        // The first Admin token, made before the server runs, with no other token: the way an operator starts.
        using var create = Process.Start(new ProcessStartInfo(binary)
        {
            ArgumentList = { "token", "create", "--data", data.Path, "--name", "first-admin", "--role", "Admin" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var token = (await create.StandardOutput.ReadToEndAsync()).Trim();
        await create.WaitForExitAsync();
        Assert.True(create.ExitCode == 0, await create.StandardError.ReadToEndAsync());
        using var process = Process.Start(new ProcessStartInfo(binary)
        {
            ArgumentList = { "--data", data.Path, "--listen", $"http://127.0.0.1:{port}" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            HttpResponseMessage? health = null;
            for (var i = 0; i < 100 && health is null; i++)
            {
                try
                {
                    health = await client.GetAsync(new Uri("healthz", UriKind.Relative));
                }
                catch (HttpRequestException)
                {
                    if (process.HasExited)
                    {
                        Assert.Fail($"trellis-server exited ({process.ExitCode}): {await process.StandardError.ReadToEndAsync()}");
                    }

                    await Task.Delay(100);
                }
            }

            Assert.Equal(HttpStatusCode.OK, health?.StatusCode);
            Assert.True(Directory.Exists(Path.Combine(data.Path, "sites")));
            Assert.Equal("[]", await client.GetStringAsync(new Uri("api/v1/sites", UriKind.Relative)));
            // Every type of the OpenAPI document must be in ServerJson: natively a missing one answers 500.
            var openApi = await client.GetAsync(new Uri("openapi/v1.json", UriKind.Relative));
            Assert.True(openApi.StatusCode == HttpStatusCode.OK, await openApi.Content.ReadAsStringAsync());
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }
}
