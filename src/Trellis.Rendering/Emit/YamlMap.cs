using System.Collections;

namespace Trellis.Rendering.Emit;

/// <summary>
/// A YAML mapping whose keys keep the order they were added in, written with a collection initializer:
/// <c>new YamlMap { ["kind"] = "Pod", ["spec"] = new YamlMap { … } }</c>. A value is a string, a number, a bool, another
/// map or a sequence (any other IEnumerable); a null value leaves its key out.
/// </summary>
public sealed class YamlMap : IEnumerable<KeyValuePair<string, object?>>
{
    private readonly List<KeyValuePair<string, object?>> _entries = [];

    public object? this[string key]
    {
        get => _entries.FirstOrDefault(e => e.Key == key).Value;
        set
        {
            var index = _entries.FindIndex(e => e.Key == key);
            if (index >= 0)
            {
                _entries[index] = new(key, value);
            }
            else
            {
                _entries.Add(new(key, value));
            }
        }
    }

    /// <summary>A Kubernetes object: apiVersion, kind, metadata (name, and namespace when given) and spec.</summary>
    public static YamlMap KubernetesObject(string apiVersion, string kind, string name, string? ns, YamlMap spec) => new()
    {
        ["apiVersion"] = apiVersion,
        ["kind"] = kind,
        ["metadata"] = new YamlMap { ["name"] = name, ["namespace"] = ns },
        ["spec"] = spec,
    };

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => _entries.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
