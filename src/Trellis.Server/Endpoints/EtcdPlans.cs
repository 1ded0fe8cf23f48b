using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Etcdserverpb;
using Google.Protobuf;
using Trellis.Engine.Contracts;
using Trellis.Server.Stores;

namespace Trellis.Server.Endpoints;

/// <summary>
/// A plan as the replicas of an etcd store share it (the Engine's plan is not kept: another replica plans again from the
/// request): the route's name, the request as received (the body in base64, its content type, <c>?name=</c>), who made it,
/// when it expires, the site's revision it was made on, what the client was shown (<see cref="Plan"/>, which GET answers)
/// and <see cref="Digest"/> of it.
/// </summary>
/// <param name="Digest">
/// The SHA-256 (hex) of the plan's document as GET shows it (without the findings of reading the request, which only the
/// 201 answer carries) with each allocation's <c>expiresAt</c> left out: a leased address's expiry counts from when it is
/// planned, so planning again a second later moves it and nothing else.
/// </param>
internal sealed record SharedPlan(string Id, string Site, string Command, byte[] Body, string? ContentType, string? Name, string? CreatedBy,
    DateTimeOffset ExpiresAt, long Revision, string Digest, ApplyOutput Plan)
{
    public PlanDocument Document() => new(Id, Site, Command, Revision, ExpiresAt, CreatedBy, Plan);

    public static SharedPlan Of(StoredPlan plan, CommandRequest request)
    {
        var document = plan.Document();
        return new(plan.Id, plan.Site, plan.Command, request.Body, request.ContentType, request.Name, plan.CreatedBy, plan.ExpiresAt,
            document.Revision, DigestOf(document), document.Plan);
    }

    /// <summary>The digest of <paramref name="document"/> (see <see cref="Digest"/>).</summary>
    public static string DigestOf(PlanDocument document)
    {
        static IReadOnlyList<Allocation> Unleased(IReadOnlyList<Allocation> allocations) => [.. allocations.Select(a => a with { ExpiresAt = null })];
        var plan = document.Plan;
        var compared = document with
        {
            Plan = plan with
            {
                Added = Unleased(plan.Added),
                Removed = Unleased(plan.Removed),
                UpgradeSteps = [.. plan.UpgradeSteps.Select(s => s with { Add = Unleased(s.Add), Remove = Unleased(s.Remove) })],
            },
        };
        return Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(compared, ServerJson.Default.PlanDocument)));
    }
}

/// <summary>
/// The plans on the etcd cluster of the fleet's store: each the key <c>&lt;root&gt;plans/&lt;id&gt;</c>, a
/// <see cref="SharedPlan"/> as JSON, on a lease of the plan's lifetime of its own, so that it ends on every replica when the
/// lease runs out. Taking a plan (to apply or discard it) deletes its key in a transaction that holds only while the key is
/// the one that was read: of two replicas taking one plan, one does.
/// </summary>
internal sealed class EtcdPlans(EtcdConnection etcd)
{
    private readonly string _plans = etcd.Location.Root + "plans/";

    /// <summary>Writes <paramref name="plan"/> on a lease of <paramref name="lifetime"/>; false when etcd refuses it as larger than a request may be.</summary>
    public async Task<bool> PutAsync(SharedPlan plan, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        var ttl = (long)Math.Max(1, Math.Ceiling(lifetime.TotalSeconds));
        var grant = await etcd.CallAsync(ct => etcd.Client.LeaseGrantAsync(new LeaseGrantRequest { TTL = ttl }, cancellationToken: ct),
            $"grant plan {plan.Id} a lease", cancellationToken).ConfigureAwait(false);
        var put = new PutRequest
        {
            Key = ByteString.CopyFromUtf8(_plans + plan.Id),
            Value = ByteString.CopyFrom(JsonSerializer.SerializeToUtf8Bytes(plan, SharedPlanJson.Default.SharedPlan)),
            Lease = grant.ID,
        };
        try
        {
            await etcd.CallAsync(ct => etcd.Client.PutAsync(put, cancellationToken: ct), $"store plan {plan.Id}", cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (FleetStoreException e) when (e.InnerException is Grpc.Core.RpcException { StatusCode: Grpc.Core.StatusCode.InvalidArgument or Grpc.Core.StatusCode.ResourceExhausted })
        {
            // Over etcd's --max-request-bytes (InvalidArgument), or over its gRPC limit beyond that; the lease, holding no key, runs out by itself.
            return false;
        }
    }

    /// <summary>Plan <paramref name="id"/> and its key's mod revision; nulls when there is none (or its value is not a plan).</summary>
    public async Task<(SharedPlan? Plan, long Revision)> ReadAsync(string id, CancellationToken cancellationToken)
    {
        if (!IsId(id))
        {
            return (null, 0);
        }

        var request = new RangeRequest { Key = ByteString.CopyFromUtf8(_plans + id) };
        var response = await etcd.CallAsync(ct => etcd.Client.GetAsync(request, cancellationToken: ct), $"read plan {id}", cancellationToken).ConfigureAwait(false);
        return response.Kvs is [var kv] && Parse(kv) is { } plan && plan.Id == id ? (plan, kv.ModRevision) : (null, 0);
    }

    /// <summary>Deletes plan <paramref name="id"/> if its key is still at <paramref name="revision"/>; false when it is not (taken, or gone).</summary>
    public async Task<bool> TakeAsync(string id, long revision, CancellationToken cancellationToken)
    {
        var key = ByteString.CopyFromUtf8(_plans + id);
        var transaction = new TxnRequest();
        transaction.Compare.Add(new Compare { Key = key, Target = Compare.Types.CompareTarget.Mod, Result = Compare.Types.CompareResult.Equal, ModRevision = revision });
        transaction.Success.Add(new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = key } });
        var response = await etcd.CallAsync(ct => etcd.Client.TransactionAsync(transaction, cancellationToken: ct), $"take plan {id}", cancellationToken).ConfigureAwait(false);
        return response.Succeeded;
    }

    /// <summary>A plan's id as the server makes them (32 hex digits): anything else names no key.</summary>
    private static bool IsId(string id) => id.Length == 32 && id.All(char.IsAsciiHexDigitLower);

    private static SharedPlan? Parse(Mvccpb.KeyValue kv)
    {
        try
        {
            return JsonSerializer.Deserialize(kv.Value.Span, SharedPlanJson.Default.SharedPlan);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>A <see cref="SharedPlan"/> as JSON, in the API's shapes (camelCase, enums as strings, nulls left out).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SharedPlan))]
internal sealed partial class SharedPlanJson : JsonSerializerContext;
