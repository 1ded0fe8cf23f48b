using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Trellis.TestSupport.Etcd;

/// <summary>
/// One real etcd member on a loopback port that speaks only TLS and takes only clients with a certificate its CA signed
/// (<c>--client-cert-auth</c>), as production clusters run; the CA, server and client certificates are made for the run and
/// written as PEM files to a temporary folder, removed with the member.
/// </summary>
public sealed class SecureEtcd : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();

    private SecureEtcd(string folder, int clientPort, Process process)
    {
        Folder = folder;
        ClientPort = clientPort;
        this.process = process;
    }

    public string Folder { get; }

    public int ClientPort { get; }

    /// <summary>The member's address as Trellis takes it: <c>127.0.0.1:PORT</c>.</summary>
    public string Member => $"127.0.0.1:{ClientPort}";

    public string CaFile => Path.Combine(Folder, "ca.pem");

    public string ClientCertificateFile => Path.Combine(Folder, "client.pem");

    public string ClientKeyFile => Path.Combine(Folder, "client-key.pem");

    /// <summary>A CA that did not sign the member's certificate, and a client certificate it signed.</summary>
    public string OtherCaFile => Path.Combine(Folder, "other-ca.pem");

    public string OtherClientCertificateFile => Path.Combine(Folder, "other-client.pem");

    public string OtherClientKeyFile => Path.Combine(Folder, "other-client-key.pem");

    public static async Task<SecureEtcd> StartAsync()
    {
        var folder = Directory.CreateTempSubdirectory("trellis-etcd-tls-").FullName;
        using var ca = Authority("Trellis test CA");
        using var other = Authority("Another CA");
        WritePem(folder, "ca", ca);
        WritePem(folder, "other-ca", other);
        using var server = Issue(ca, "etcd", server: true);
        WritePem(folder, "server", server);
        using var client = Issue(ca, "trellis", server: false);
        WritePem(folder, "client", client);
        using var stranger = Issue(other, "trellis", server: false);
        WritePem(folder, "other-client", stranger);

        var (clientPort, peerPort) = (FreePort(), FreePort());
        var info = new ProcessStartInfo("etcd") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])[
            "--name", "secure", "--data-dir", Path.Combine(folder, "data"),
            "--listen-client-urls", $"https://127.0.0.1:{clientPort}", "--advertise-client-urls", $"https://127.0.0.1:{clientPort}",
            "--listen-peer-urls", $"http://127.0.0.1:{peerPort}", "--initial-advertise-peer-urls", $"http://127.0.0.1:{peerPort}",
            "--initial-cluster", $"secure=http://127.0.0.1:{peerPort}", "--initial-cluster-token", $"trellis-test-{Guid.NewGuid():N}",
            "--cert-file", Path.Combine(folder, "server.pem"), "--key-file", Path.Combine(folder, "server-key.pem"),
            "--client-cert-auth", "--trusted-ca-file", Path.Combine(folder, "ca.pem"),
            "--logger", "zap", "--log-outputs", "stderr",
        ])
        {
            info.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException("etcd did not start.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Directory.Delete(folder, recursive: true);
            throw new InvalidOperationException("The etcd tests need a real etcd: the 'etcd' program is not on PATH. Install Debian's etcd-server (test.sh does).", e);
        }

        var etcd = new SecureEtcd(folder, clientPort, process);
        process.OutputDataReceived += (_, e) => etcd.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => etcd.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await etcd.WaitReadyAsync().ConfigureAwait(false);
            return etcd;
        }
        catch
        {
            await etcd.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().ConfigureAwait(false);
        }

        process.Dispose();
        Directory.Delete(Folder, recursive: true);
    }

    /// <summary>Ready when it logs that it serves clients over TLS (a TLS handshake needs the client certificate, which the test's client has).</summary>
    private async Task WaitReadyAsync()
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"etcd exited with code {process.ExitCode}: {Output()}");
            }

            if (Output().Contains("serving client traffic securely", StringComparison.Ordinal))
            {
                return;
            }

            await Task.Delay(50).ConfigureAwait(false);
        }

        throw new InvalidOperationException($"etcd did not serve TLS within 30 s: {Output()}");
    }

    private string Output()
    {
        lock (output)
        {
            return output.ToString();
        }
    }

    private void Keep(string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }

    private static X509Certificate2 Authority(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(TimeProvider.System.GetUtcNow().AddMinutes(-10), TimeProvider.System.GetUtcNow().AddDays(2));
    }

    private static X509Certificate2 Issue(X509Certificate2 authority, string name, bool server)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [server ? new Oid("1.3.6.1.5.5.7.3.1") : new Oid("1.3.6.1.5.5.7.3.2")], false));
        if (server)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(IPAddress.Loopback);
            names.AddDnsName("localhost");
            request.CertificateExtensions.Add(names.Build());
        }

        var serial = RandomNumberGenerator.GetBytes(12);
        // Inside the authority's validity whenever it was made: a certificate may not outlive its issuer.
        using var issued = request.Create(authority, authority.NotBefore.ToUniversalTime().AddMinutes(1), authority.NotAfter.ToUniversalTime().AddDays(-1), serial);
        return issued.CopyWithPrivateKey(key);
    }

    private static void WritePem(string folder, string name, X509Certificate2 certificate)
    {
        File.WriteAllText(Path.Combine(folder, name + ".pem"), certificate.ExportCertificatePem());
        File.WriteAllText(Path.Combine(folder, name + "-key.pem"), certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }
}
