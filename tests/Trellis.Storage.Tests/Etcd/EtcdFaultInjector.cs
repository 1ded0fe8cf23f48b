using Etcdserverpb;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Trellis.Storage.Tests.Etcd;

/// <summary>
/// Stands between a store and etcd (a gRPC interceptor on the store's client) and lets a test decide what one kind of request
/// meets: <see cref="Unary"/> gets each unary request and a function that sends it to etcd, and answers in its place (sending
/// it or not, then failing, or cancelling the caller). Requests it is not set for go through unchanged.
/// </summary>
public sealed class EtcdFaultInjector : Interceptor
{
    /// <summary>Null: every request goes through. Else called for each unary request with the request and a function that sends it.</summary>
    public Func<object, Func<Task<object>>, Task<object>>? Unary { get; set; }

    /// <summary>Whether a transaction request puts <paramref name="key"/> (a commit's last transaction puts the store's head).</summary>
    public static bool Puts(object request, string key) =>
        request is TxnRequest txn && txn.Success.Any(op => op.RequestPut?.Key.ToStringUtf8() == key);

    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
    {
        if (Unary is not { } unary)
        {
            return continuation(request, context);
        }

        var response = Answer(unary(request, async () => await continuation(request, context).ResponseAsync.ConfigureAwait(false)));
        return new AsyncUnaryCall<TResponse>(response, Task.FromResult(new Metadata()), () => Status.DefaultSuccess, () => [], () => { });

        static async Task<TResponse> Answer(Task<object> answer) => (TResponse)await answer.ConfigureAwait(false);
    }
}
