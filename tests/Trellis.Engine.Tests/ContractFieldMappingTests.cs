using System.Collections;
using System.Reflection;
using System.Text.Json.Serialization;
using Trellis.Engine.Contracts;
using Planning = Trellis.Core.Planning;

namespace Trellis.Engine.Tests;

/// <summary>
/// Field by field, every property of a Core result reaches its contract type and lands in the property of the same name,
/// at every depth: a Core object is built by reflection with a distinct value in each field, mapped, and walked beside
/// its contract. A field added to one side and not the other fails, and so does a mapping that swaps two fields of one
/// type or drops one. Core's [JsonIgnore] fields are internal bookkeeping and stay out of the contract.
/// </summary>
public sealed class ContractFieldMappingTests
{
    [Fact]
    public void CapacityReport_EveryFieldReachesTheContract()
    {
        var core = (Planning.CapacityReport)new Sampler().Make(typeof(Planning.CapacityReport));

        var contract = core.ToContract();

        Compare(core, contract, nameof(CapacityReport));
    }

    [Fact]
    public void WhatIfAnswer_EveryFieldReachesTheContract()
    {
        foreach (var fits in new[] { true, false })
        {
            var core = (Planning.WhatIfResult)new Sampler().Make(typeof(Planning.WhatIfResult)) with { Fits = fits };

            var contract = core.ToContract();

            Compare(core, contract, nameof(WhatIfAnswer));
        }
    }

    [Fact]
    public void TheComparison_CatchesASwappedOrMissingField()
    {
        var core = (Planning.CapacityReport)new Sampler().Make(typeof(Planning.CapacityReport));
        var contract = core.ToContract();

        // Two fields of one type swapped, a nested value changed, a list item lost: each must be seen.
        Assert.ThrowsAny<Exception>(() => Compare(core, contract with { ControlPlaneIps = contract.TotalRequired, TotalRequired = contract.ControlPlaneIps }, "swapped"));
        Assert.ThrowsAny<Exception>(() => Compare(core, contract with { VipPool = contract.VipPool with { Free = contract.VipPool.Free + 1 } }, "nested"));
        Assert.ThrowsAny<Exception>(() => Compare(core, contract with { Rules = contract.Rules.Skip(1).ToList() }, "list"));
        Assert.ThrowsAny<Exception>(() => Compare(core, new WhatIfAnswer("q", true, null, contract, null, []), "other type"));
    }

    /// <summary>Core types whose contract has another name; every other type keeps its name.</summary>
    private static readonly HashSet<(Type Core, Type Contract)> Renamed = [(typeof(Planning.WhatIfResult), typeof(WhatIfAnswer))];

    private static IEnumerable<PropertyInfo> Fields(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && p.GetCustomAttribute<JsonIgnoreAttribute>() is null);

    private static bool IsScalar(Type t) => t.IsPrimitive || t.IsEnum || t == typeof(string) || t == typeof(decimal) || t == typeof(DateTimeOffset);

    private static void Compare(object? core, object? contract, string path)
    {
        if (core is null || contract is null)
        {
            Assert.True(core is null && contract is null, $"{path}: Core {core ?? "null"}, contract {contract ?? "null"}");
            return;
        }

        var coreType = core.GetType();
        var contractType = contract.GetType();
        if (contract is string text && core is not string)
        {
            // An enum or a typed id (PoolId) travels as its text form.
            Assert.True(core.ToString() == text, $"{path}: Core {core}, contract '{text}'");
        }
        else if (IsScalar(coreType))
        {
            if (coreType.IsEnum && contractType.IsEnum)
            {
                Assert.True(core.ToString() == contract.ToString(), $"{path}: Core {core}, contract {contract}");
            }
            else
            {
                Assert.True(core.Equals(contract), $"{path}: Core {core} ({coreType.Name}), contract {contract} ({contractType.Name})");
            }
        }
        else if (core is IEnumerable coreItems)
        {
            var a = coreItems.Cast<object?>().ToList();
            var b = Assert.IsAssignableFrom<IEnumerable>(contract).Cast<object?>().ToList();
            Assert.True(a.Count == b.Count, $"{path}: {a.Count} items in Core, {b.Count} in the contract");
            for (var i = 0; i < a.Count; i++)
            {
                Compare(a[i], b[i], $"{path}[{i}]");
            }
        }
        else
        {
            Assert.True(coreType.Name == contractType.Name || Renamed.Contains((coreType, contractType)), $"{path}: Core {coreType.Name} maps to contract {contractType.Name}");
            var coreFields = Fields(coreType).ToDictionary(p => p.Name);
            var contractFields = Fields(contractType).ToDictionary(p => p.Name);
            Assert.True(coreFields.Keys.Order().SequenceEqual(contractFields.Keys.Order()),
                $"{path}: fields differ. Only in Core: [{string.Join(", ", coreFields.Keys.Except(contractFields.Keys))}]; only in the contract: [{string.Join(", ", contractFields.Keys.Except(coreFields.Keys))}]");
            foreach (var (name, field) in coreFields)
            {
                Compare(field.GetValue(core), contractFields[name].GetValue(contract), $"{path}.{name}");
            }
        }
    }

    /// <summary>Builds an object of any Core result type with a distinct value in every field, two items in every list.</summary>
    private sealed class Sampler
    {
        private int _next = 1;

        public object Make(Type type)
        {
            var n = _next++;
            type = Nullable.GetUnderlyingType(type) ?? type;
            if (type == typeof(string))
            {
                return $"text{n}";
            }

            if (type == typeof(long))
            {
                return 1000L + n;
            }

            if (type == typeof(int))
            {
                return 1000 + n;
            }

            if (type == typeof(bool))
            {
                return n % 2 == 0;
            }

            if (type.IsEnum)
            {
                // The last member: never the default, so a field that is not mapped shows.
                var values = Enum.GetValues(type);
                return values.GetValue(values.Length - 1)!;
            }

            if (type.IsGenericType && type.GetGenericTypeDefinition() is var g && (g == typeof(IReadOnlyList<>) || g == typeof(IEnumerable<>) || g == typeof(List<>)))
            {
                var item = type.GetGenericArguments()[0];
                var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(item))!;
                list.Add(Make(item));
                list.Add(Make(item));
                return list;
            }

            if (type.IsAbstract)
            {
                var concrete = type.Assembly.GetTypes().First(t => !t.IsAbstract && type.IsAssignableFrom(t) && t.GetConstructors().Length > 0);
                return Make(concrete);
            }

            var constructor = type.GetConstructors().MaxBy(c => c.GetParameters().Length)
                ?? throw new InvalidOperationException($"{type.Name} has no public constructor to build a sample with.");
            return constructor.Invoke([.. constructor.GetParameters().Select(p => Make(p.ParameterType))]);
        }
    }
}
