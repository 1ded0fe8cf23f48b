namespace Trellis.Policy;

/// <summary>The directions a policy governs (Kubernetes policyTypes, Calico types).</summary>
[Flags]
public enum PolicyTypes
{
    None = 0,
    Ingress = 1,
    Egress = 2,
}

/// <summary>Which side of a flow is evaluated: the egress of the source or the ingress of the destination.</summary>
public enum Direction
{
    Egress,
    Ingress,
}

public static class DirectionExtensions
{
    public static PolicyTypes AsType(this Direction direction) => direction == Direction.Ingress ? PolicyTypes.Ingress : PolicyTypes.Egress;

    public static string FieldName(this Direction direction) => direction == Direction.Ingress ? "ingress" : "egress";
}
