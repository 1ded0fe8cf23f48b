using System.Reflection;

namespace Trellis.Engine.Tests;

/// <summary>
/// The Engine's public surface speaks only its own types (docs/engine.md): a front end that compiles against the Engine alone
/// can call and read every public member, so no signature may name a type of the layers below it.
/// </summary>
public sealed class BoundaryTests
{
    private static readonly string[] Layers = ["Trellis.Core", "Trellis.Storage", "Trellis.Policy", "Trellis.Rendering"];

    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    [Fact]
    public void ThePublicSurface_NamesNoTypeOfTheLayersBelowTheEngine()
    {
        var leaks = PublicSignatures(typeof(TrellisEngine).Assembly)
            .Where(s => s.Types.Any(FromALayer))
            .Select(s => s.Member)
            .ToList();

        Assert.True(leaks.Count == 0, "Public members naming a type below the Engine:\n" + string.Join("\n", leaks));
    }

    [Fact]
    public void TheScan_SeesEveryKindOfSignature()
    {
        // The scan above proves nothing if it misses a kind of member: each of Leaky's public or protected leaks must be found,
        // and nothing private or internal.
        var found = PublicSignatures(typeof(Leaky).Assembly)
            .Where(s => s.Owner == typeof(Leaky) && s.Types.Any(FromALayer))
            .Select(s => s.Member[(typeof(Leaky).FullName!.Length + 1)..]);

        Assert.Equal(["(base)", ".ctor(spec)", "Equals(other)", "Event", "Field", "Generic(return)", "Method(return)", "Method(spec)", "Property", "Protected(return)"],
            found.Order(StringComparer.Ordinal));
    }

#pragma warning disable CA1051, CA1024, CA1070, CS0067 // the kinds of member a scan must see
    public class Leaky(Core.Model.SiteSpec spec) : IEquatable<Core.Model.SiteSpec>
    {
        public Core.Model.SiteSpec? Field;

        public event Action<Core.Model.SiteSpec>? Event;

        public Core.Model.SiteSpec Property { get; } = spec;

        internal Core.Model.SiteSpec Internal => Property;

        public Core.Model.SiteSpec Method(Core.Model.SiteSpec spec) => spec;

        public Task<IReadOnlyList<Core.Model.SiteSpec>> Generic() => Task.FromResult<IReadOnlyList<Core.Model.SiteSpec>>([Property]);

        public bool Equals(Core.Model.SiteSpec? other) => ReferenceEquals(other, Private());

        protected Core.Model.SiteSpec Protected() => Property;

        private Core.Model.SiteSpec Private() => Property;
    }
#pragma warning restore CA1051, CA1024, CA1070, CS0067

    private static bool FromALayer(Type type) => Layers.Contains(type.Assembly.GetName().Name);

    /// <summary>Every public or protected signature of the assembly's visible types, with every type it names (generic arguments, elements, bases).</summary>
    internal static IEnumerable<(Type Owner, string Member, IReadOnlyList<Type> Types)> PublicSignatures(Assembly assembly)
    {
        foreach (var type in assembly.GetTypes().Where(t => t.IsVisible))
        {
            var name = type.FullName!.Replace('+', '.');
            yield return (type, $"{name}.(base)", [.. new[] { type.BaseType }.Concat(type.GetInterfaces()).OfType<Type>().SelectMany(Named)]);
            foreach (var member in type.GetMembers(Declared).Where(Visible))
            {
                foreach (var (part, named) in Parts(member))
                {
                    yield return (type, $"{name}.{member.Name}{part}", [.. Named(named)]);
                }
            }
        }
    }

    private static IEnumerable<(string Part, Type Type)> Parts(MemberInfo member)
    {
        switch (member)
        {
            case PropertyInfo p:
                yield return ("", p.PropertyType);
                break;
            case FieldInfo f:
                yield return ("", f.FieldType);
                break;
            case EventInfo e:
                yield return ("", e.EventHandlerType!);
                break;
            case MethodBase m:
                if (m is MethodInfo method)
                {
                    yield return ("(return)", method.ReturnType);
                    foreach (var constraint in method.IsGenericMethodDefinition ? method.GetGenericArguments().SelectMany(a => a.GetGenericParameterConstraints()) : [])
                    {
                        yield return ("(constraint)", constraint);
                    }
                }

                foreach (var parameter in m.GetParameters())
                {
                    yield return ($"({parameter.Name})", parameter.ParameterType);
                }

                break;
        }
    }

    private static bool Visible(MemberInfo member) => member switch
    {
        PropertyInfo p => p.GetAccessors(nonPublic: true).Any(a => a.IsPublic || a.IsFamily || a.IsFamilyOrAssembly),
        FieldInfo f => f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly,
        EventInfo e => e.AddMethod is { } add && (add.IsPublic || add.IsFamily || add.IsFamilyOrAssembly),
        MethodBase m => (m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly) && !(m.IsSpecialName && (m.Name.StartsWith("get_", StringComparison.Ordinal)
            || m.Name.StartsWith("set_", StringComparison.Ordinal) || m.Name.StartsWith("add_", StringComparison.Ordinal) || m.Name.StartsWith("remove_", StringComparison.Ordinal))),
        _ => false,
    };

    /// <summary>The type and every type inside it: array and by-ref elements, generic arguments, nested generics.</summary>
    private static IEnumerable<Type> Named(Type type)
    {
        if (type.HasElementType)
        {
            foreach (var inner in Named(type.GetElementType()!))
            {
                yield return inner;
            }

            yield break;
        }

        if (type.IsGenericParameter)
        {
            yield break;
        }

        yield return type;
        foreach (var argument in type.IsGenericType ? type.GetGenericArguments() : [])
        {
            foreach (var inner in Named(argument))
            {
                yield return inner;
            }
        }
    }
}
