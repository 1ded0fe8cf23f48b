using Trellis.Storage.Etcd;

namespace Trellis.Storage.Tests.Etcd;

/// <summary>The store refuses, when it opens, an option it cannot work with, naming the option and what it takes.</summary>
public sealed class EtcdStoreOptionsValidationTests
{
    private static readonly EtcdStoreOptions Valid = new() { Endpoints = "http://127.0.0.1:2379" };

    public static TheoryData<string, EtcdStoreOptions> OutOfRange => new()
    {
        { nameof(EtcdStoreOptions.MaxTxnOperations), Valid with { MaxTxnOperations = 0 } },
        { nameof(EtcdStoreOptions.MaxTxnOperations), Valid with { MaxTxnOperations = 7 } },
        { nameof(EtcdStoreOptions.MaxTxnBytes), Valid with { MaxTxnBytes = 0 } },
        { nameof(EtcdStoreOptions.MaxTxnBytes), Valid with { MaxTxnBytes = -1 } },
        { nameof(EtcdStoreOptions.Attempts), Valid with { Attempts = 0 } },
        { nameof(EtcdStoreOptions.Attempts), Valid with { Attempts = -3 } },
        { nameof(EtcdStoreOptions.ReadPageSize), Valid with { ReadPageSize = 0 } },
        { nameof(EtcdStoreOptions.ReadPageSize), Valid with { ReadPageSize = -1 } },
        { nameof(EtcdStoreOptions.RequestTimeout), Valid with { RequestTimeout = TimeSpan.Zero } },
        { nameof(EtcdStoreOptions.RequestTimeout), Valid with { RequestTimeout = TimeSpan.FromSeconds(-1) } },
        { nameof(EtcdStoreOptions.RequestTimeout), Valid with { RequestTimeout = TimeSpan.MaxValue } },
        { nameof(EtcdStoreOptions.LockTtl), Valid with { LockTtl = TimeSpan.Zero } },
        { nameof(EtcdStoreOptions.LockTtl), Valid with { LockTtl = TimeSpan.FromSeconds(-10) } },
        { nameof(EtcdStoreOptions.LockWait), Valid with { LockWait = TimeSpan.Zero } },
        { nameof(EtcdStoreOptions.LockWait), Valid with { LockWait = Timeout.InfiniteTimeSpan } },
    };

    public static TheoryData<EtcdSecurity> Incomplete => new()
    {
        new EtcdSecurity { UseTls = true, ClientCertificateFile = "/c.pem" },
        new EtcdSecurity { UseTls = true, ClientKeyFile = "/k.pem" },
        new EtcdSecurity { Username = "trellis" },
        new EtcdSecurity { Password = "pw" },
        new EtcdSecurity { CaCertificateFile = "/ca.pem" },
        new EtcdSecurity { ClientCertificateFile = "/c.pem", ClientKeyFile = "/k.pem" },
    };

    [Theory]
    [MemberData(nameof(Incomplete))]
    public void Open_IncompleteSecurity_IsRefusedBeforeAnyFileIsRead(EtcdSecurity security)
    {
        var error = Assert.Throws<ArgumentException>(() => EtcdStateStore.Open(Valid with { Security = security }));

        Assert.Equal(nameof(EtcdStoreOptions.Security), error.ParamName);
    }

    [Theory]
    [MemberData(nameof(OutOfRange))]
    public void Open_OptionOutOfRange_IsRefusedNamingTheOptionAndWhatItTakes(string option, EtcdStoreOptions options)
    {
        var error = Assert.Throws<ArgumentException>(() => EtcdStateStore.Open(options));

        Assert.Equal(option, error.ParamName);
        Assert.Contains($"option {option} is ", error.Message, StringComparison.Ordinal);
        Assert.Contains("it must be ", error.Message, StringComparison.Ordinal);
        Assert.Contains("default", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_TheDefaultsAndTheLeastValues_AreAccepted()
    {
        await using var defaults = EtcdStateStore.Open(Valid);
        await using var least = EtcdStateStore.Open(Valid with
        {
            MaxTxnOperations = 8,
            MaxTxnBytes = 4096,
            Attempts = 1,
            ReadPageSize = 1,
            RequestTimeout = TimeSpan.FromMilliseconds(1),
            LockTtl = TimeSpan.FromMilliseconds(1),
            LockWait = TimeSpan.FromMilliseconds(1),
        });

        Assert.Equal(Valid.KeyPrefix, least.KeyPrefix);
    }
}
