namespace Trellis.Storage.Etcd;

/// <summary>
/// How a client proves itself to etcd and checks etcd's certificate, as its operators run it (etcdctl's <c>--cacert</c>,
/// <c>--cert</c>, <c>--key</c>, <c>--user</c>). docs/etcd.md, "Connecting", explains each.
/// </summary>
public sealed record EtcdSecurity
{
    /// <summary>Speak TLS to the members (their client URLs are <c>https://</c>).</summary>
    public bool UseTls { get; init; }

    /// <summary>PEM file of the certificate authorities that sign the members' certificates; null: the system's trusted roots.</summary>
    public string? CaCertificateFile { get; init; }

    /// <summary>PEM file of this client's certificate, for members run with <c>--client-cert-auth</c>; needs <see cref="ClientKeyFile"/>.</summary>
    public string? ClientCertificateFile { get; init; }

    /// <summary>PEM file of the client certificate's private key.</summary>
    public string? ClientKeyFile { get; init; }

    /// <summary>The etcd user, for clusters with authentication enabled; needs <see cref="Password"/>.</summary>
    public string? Username { get; init; }

    /// <summary>The etcd user's password. Never shown: <see cref="ToString"/> leaves it out.</summary>
    public string? Password { get; init; }

    /// <summary>What the security is, for messages: never the password.</summary>
    public override string ToString() =>
        $"{(UseTls ? "TLS" : "plain")}{(ClientCertificateFile is null ? "" : ", client certificate")}{(Username is null ? "" : $", user {Username}")}";
}
