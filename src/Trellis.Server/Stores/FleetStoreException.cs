namespace Trellis.Server.Stores;

/// <summary>The fleet's store (the folder or the etcd cluster) failed a request of the server's own; the message says which and why.</summary>
public sealed class FleetStoreException(string message, Exception? inner = null) : Exception(message, inner);
