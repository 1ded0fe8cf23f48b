namespace Trellis.Storage.Etcd;

/// <summary>
/// The checks of an <see cref="EtcdStoreOptions"/>'s limits, times and security, made when a store opens: a value the store cannot work
/// with is refused at once, naming the option and what it takes, instead of failing at the first request (or never returning).
/// </summary>
public static class EtcdStoreOptionsValidation
{
    /// <summary>The longest time a request may be given: what a cancellation timer can count.</summary>
    private static readonly TimeSpan LongestTime = TimeSpan.FromMilliseconds(int.MaxValue - 1);

    /// <exception cref="ArgumentException">An option is zero, negative or out of range; the message names it and says what it takes.</exception>
    public static void Validate(this EtcdStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        AtLeast(options.MaxTxnOperations, 8, nameof(EtcdStoreOptions.MaxTxnOperations), "operations in one etcd transaction; set it to etcd's --max-txn-ops (128 by default)");
        AtLeast(options.MaxTxnBytes, 4096, nameof(EtcdStoreOptions.MaxTxnBytes), "bytes in one etcd transaction; keep it under etcd's --max-request-bytes (1.5 MiB by default; the store's default is 1 MiB)");
        AtLeast(options.Attempts, 1, nameof(EtcdStoreOptions.Attempts), "tries of a read or a repeatable write (the default is 6)");
        AtLeast(options.ReadPageSize, 1, nameof(EtcdStoreOptions.ReadPageSize), "keys per read request (the default is 1000)");
        Positive(options.RequestTimeout, nameof(EtcdStoreOptions.RequestTimeout), "how long one request to etcd may take (the default is 10 s)");
        Positive(options.LockTtl, nameof(EtcdStoreOptions.LockTtl), "the write lock's lease: how long a crashed writer holds up the others (the default is 10 s)");
        Positive(options.LockWait, nameof(EtcdStoreOptions.LockWait), "how long a commit waits for another writer's lock (the default is 60 s)");
        Complete(options.Security, nameof(EtcdStoreOptions.Security));
    }

    private static void Complete(EtcdSecurity security, string option)
    {
        if (security.ClientCertificateFile is null != security.ClientKeyFile is null || security.Username is null != security.Password is null
            || (!security.UseTls && (security.CaCertificateFile ?? security.ClientCertificateFile) is not null))
        {
            throw new ArgumentException($"The etcd store option {option} is incomplete: a client certificate needs its key (and the key its certificate), a user needs a password, and certificates need TLS.", option);
        }
    }

    private static void AtLeast(int value, int least, string option, string meaning)
    {
        if (value < least)
        {
            throw new ArgumentException($"The etcd store option {option} is {value}; it must be at least {least}: it is the number of {meaning}.", option);
        }
    }

    private static void Positive(TimeSpan value, string option, string meaning)
    {
        if (value <= TimeSpan.Zero || value > LongestTime)
        {
            throw new ArgumentException(
                $"The etcd store option {option} is {value}; it must be more than zero and at most {LongestTime.TotalDays:0} days: it is {meaning}.", option);
        }
    }
}
