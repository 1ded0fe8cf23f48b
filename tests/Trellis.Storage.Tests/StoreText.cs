using System.Text;

namespace Trellis.Storage.Tests;

/// <summary>Short spellings for test transactions.</summary>
internal static class StoreText
{
    public static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    public static string Text(StoredItem item) => Encoding.UTF8.GetString(item.Value);

    public static StoreTransaction Ops(params TxnOperation[] operations) => new([], operations);

    public static StoreTransaction When(TxnCondition[] conditions, params TxnOperation[] operations) => new(conditions, operations);

    public static TxnOperation.Create Create(string key, string value = "v") => new(key, Bytes(value));

    public static TxnOperation.Put Put(string key, string value = "v") => new(key, Bytes(value));

    public static TxnOperation.Delete Delete(string key) => new(key);

    public static TxnCondition.RevisionEquals At(string key, long revision) => new(key, revision);
}
