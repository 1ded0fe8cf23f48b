using System.CommandLine;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Hosting;
using Trellis.Server.Security;
using Trellis.Server.Stores;

namespace Trellis.Server;

/// <summary>
/// <c>trellis-server</c>, which <c>trellis serve</c> runs: serves a fleet's folder until stopped (Ctrl-C, SIGTERM), and
/// manages its tokens (<c>token create|list|revoke</c>) in the same folder, whether the server runs or not.
/// </summary>
public static class Program
{
    public static Task<int> Main(string[] args) => RunAsync(args, Console.Out, Console.Error);

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        var data = new Option<string>("--data")
        {
            Description = "The fleet's folder: sites/<name>.db per site, server.db for tokens (without an etcd --store).",
            DefaultValueFactory = _ => ".trellis",
            Recursive = true,
        };
        var store = new Option<string?>("--store")
        {
            Recursive = true,
            Description = $"Where the fleet and its tokens are kept: etcd://HOST:PORT[,HOST:PORT…][?OPTIONS] (etcds:// for TLS; as the CLI's --store, without a site: " +
                $"the server serves every site of the store), shared with other servers and the CLI; or a folder (sqlite:FOLDER). Default: {ServerStore.Variable}, else the --data folder. " +
                $"An etcd user's password: {Trellis.Engine.StoreLocation.PasswordVariable} or &passwordFile=PATH.",
        };
        var listen = new Option<string[]>("--listen")
        {
            Description = $"URL to listen on (repeat for several). Default: {ServerOptions.DefaultUrl}, or https on the same port with --certificate. " +
                "Plain HTTP is refused on any address but loopback unless --insecure-http is given.",
        };
        var certificate = new Option<string?>("--certificate")
        {
            Description = $"A PKCS#12 file (.pfx) with the TLS certificate and its key, for https:// URLs. Its password: --certificate-password-file, or the environment variable {ListenRules.CertificatePasswordVariable}.",
        };
        var passwordFile = new Option<string?>("--certificate-password-file") { Description = "A file holding the certificate's password (never give a password as an argument)." };
        var insecure = new Option<bool>("--insecure-http") { Description = "Allow plain HTTP on addresses other than loopback (only behind something else that protects the path, e.g. a TLS-terminating proxy)." };
        var rateLimit = new Option<int>("--rate-limit")
        {
            Description = "Requests per token (per client address without one) in each window; 0: no limit.",
            DefaultValueFactory = _ => RateLimit.Default.Permits,
        };
        var rateWindow = new Option<int>("--rate-window")
        {
            Description = "The rate limit's window in seconds.",
            DefaultValueFactory = _ => (int)RateLimit.Default.Window.TotalSeconds,
        };
        var root = new RootCommand("The Trellis server: REST API and dashboard for a fleet of sites")
        {
            data, store, listen, certificate, passwordFile, insecure, rateLimit, rateWindow, TokenCommands.Command(data, store),
        };
        root.SetAction(async (p, ct) =>
        {
            X509Certificate2? cert = null;
            if (p.GetValue(certificate) is { } path)
            {
                try
                {
                    var password = p.GetValue(passwordFile) is { } file
                        ? File.ReadAllText(file).TrimEnd('\r', '\n')
                        : Environment.GetEnvironmentVariable(ListenRules.CertificatePasswordVariable);
                    cert = X509CertificateLoader.LoadPkcs12FromFile(path, password);
                }
                catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
                {
                    await p.InvocationConfiguration.Error.WriteLineAsync($"trellis serve: cannot read the certificate {path}: {e.Message} (a wrong password reads as a bad file).").ConfigureAwait(false);
                    return 2;
                }

                if (!cert.HasPrivateKey)
                {
                    await p.InvocationConfiguration.Error.WriteLineAsync($"trellis serve: {path} holds no private key; export the certificate with its key.").ConfigureAwait(false);
                    return 2;
                }
            }

            Trellis.Engine.StoreLocation? location;
            try
            {
                location = ServerStore.Read(p.GetValue(store), Environment.GetEnvironmentVariable);
            }
            catch (Trellis.Engine.StoreLocationException e)
            {
                await p.InvocationConfiguration.Error.WriteLineAsync($"trellis serve: {e.Message}").ConfigureAwait(false);
                return 2;
            }

            var window = p.GetValue(rateWindow);
            var options = new ServerOptions
            {
                DataDirectory = p.GetValue(data)!,
                Store = location,
                Urls = p.GetValue(listen) is { Length: > 0 } urls ? urls : [cert is null ? ServerOptions.DefaultUrl : "https" + ServerOptions.DefaultUrl[4..]],
                Certificate = cert,
                AllowInsecureHttp = p.GetValue(insecure),
                RateLimit = new RateLimit(p.GetValue(rateLimit), TimeSpan.FromSeconds(Math.Max(1, window))),
            };
            if (ListenRules.Check(options) is { } refusal)
            {
                await p.InvocationConfiguration.Error.WriteLineAsync($"trellis serve: {refusal}").ConfigureAwait(false);
                return 2;
            }

            await using var app = ServerHost.Build(options);
            await app.RunAsync(ct).ConfigureAwait(false);
            return 0;
        });
        return await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error }).ConfigureAwait(false);
    }
}
