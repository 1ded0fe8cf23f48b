using System.Net;
using Microsoft.AspNetCore.Http;

namespace Trellis.Server.Security;

/// <summary>Where a server may listen: https only with a certificate, plain HTTP beyond loopback only when the operator says so.</summary>
public static class ListenRules
{
    /// <summary>Why the options' URLs cannot be served as given, or null.</summary>
    public static string? Check(ServerOptions options)
    {
        foreach (var url in options.Urls)
        {
            BindingAddress address;
            try
            {
                address = BindingAddress.Parse(url);
            }
            catch (FormatException)
            {
                return $"'{url}' is not a URL to listen on: give e.g. http://127.0.0.1:5080 or https://0.0.0.0:5443.";
            }

            var https = address.Scheme.Equals("https", StringComparison.OrdinalIgnoreCase);
            if (https && options.Certificate is null)
            {
                return $"{url} is https: give the certificate with --certificate file.pfx (its password in --certificate-password-file or the environment variable {CertificatePasswordVariable}).";
            }

            if (!https && !IsLoopback(address.Host) && !options.AllowInsecureHttp)
            {
                return $"{url} is plain HTTP on an address other than loopback: every bearer token would cross the network readable by anyone on the path. " +
                    "Listen on https:// with --certificate file.pfx, or, if something else (a TLS-terminating proxy, a private link) protects that path, say so with --insecure-http.";
            }
        }

        return null;
    }

    public const string CertificatePasswordVariable = "TRELLIS_CERTIFICATE_PASSWORD";

    private static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip);
}
