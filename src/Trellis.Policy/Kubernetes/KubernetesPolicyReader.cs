using Trellis.Core.Addressing;
using Trellis.Policy.Manifests;
using YamlDotNet.RepresentationModel;

namespace Trellis.Policy.Kubernetes;

/// <summary>Reads networking.k8s.io/v1 NetworkPolicies and label selectors, with the API server's validation and defaults.</summary>
internal static class KubernetesPolicyReader
{
    // The fields of each part of networking.k8s.io/v1 NetworkPolicy: any other is named (ManifestUnknownField) and the
    // policy is rejected, as kubectl's strict field validation rejects it; a misspelt podSelector would otherwise select all.
    private static readonly string[] SpecFields = ["egress", "ingress", "podSelector", "policyTypes"];
    private static readonly string[] PeerFields = ["ipBlock", "namespaceSelector", "podSelector"];
    private static readonly string[] IpBlockFields = ["cidr", "except"];
    private static readonly string[] PortFields = ["endPort", "port", "protocol"];
    private static readonly string[] SelectorFields = ["matchExpressions", "matchLabels"];
    private static readonly string[] RequirementFields = ["key", "operator", "values"];

    public static KubernetesNetworkPolicy? Read(DocumentReader r, YamlNode doc, string ns, string name)
    {
        var before = r.Errors;
        var spec = r.Map(doc, "spec", "spec");
        r.UnknownFields(spec, "spec", "a NetworkPolicy spec", SpecFields);
        var podSelector = ReadSelector(r, spec, "podSelector", "spec.podSelector") ?? LabelSelector.Empty;
        var ingress = ReadRules(r, spec, Direction.Ingress, ns);
        var egress = ReadRules(r, spec, Direction.Egress, ns);
        var types = r.PolicyTypes(spec, "policyTypes", "spec.policyTypes");

        var typesDeclared = types != PolicyTypes.None;
        if (!typesDeclared)
        {
            // The API server's defaulting: Ingress always, Egress only when there are egress rules (len(egress) != 0).
            types = PolicyTypes.Ingress | (egress.Count > 0 ? PolicyTypes.Egress : PolicyTypes.None);
        }
        else if ((types & PolicyTypes.Egress) == 0 && egress.Count > 0)
        {
            r.Warning("spec.egress", "EgressRulesIgnored", $"NetworkPolicy {ns}/{name} has egress rules but policyTypes does not list Egress, so they do nothing.",
                "Add Egress to policyTypes, or remove the egress rules.");
        }

        if (r.Errors > before)
        {
            return null;
        }

        return new KubernetesNetworkPolicy
        {
            Namespace = ns,
            Name = name,
            PodSelector = podSelector,
            PolicyTypes = types,
            PolicyTypesDeclared = typesDeclared,
            Ingress = ingress,
            Egress = egress,
            Source = r.Source,
        };
    }

    private static List<KubernetesRule> ReadRules(DocumentReader r, YamlNode? spec, Direction direction, string ns)
    {
        var field = direction.FieldName();
        var peerField = direction == Direction.Ingress ? "from" : "to";
        var rules = new List<KubernetesRule>();
        var items = r.Sequence(spec, field, $"spec.{field}");
        for (var i = 0; i < items.Count; i++)
        {
            var path = $"spec.{field}[{i}]";
            r.UnknownFields(items[i], path, $"an {field} rule", [peerField, "ports"]);
            var peers = new List<PolicyPeer>();
            var peerNodes = r.Sequence(items[i], peerField, $"{path}.{peerField}");
            for (var j = 0; j < peerNodes.Count; j++)
            {
                if (ReadPeer(r, peerNodes[j], $"{path}.{peerField}[{j}]") is { } peer)
                {
                    peers.Add(peer);
                }
            }

            var ports = new List<PolicyPort>();
            var portNodes = r.Sequence(items[i], "ports", $"{path}.ports");
            for (var j = 0; j < portNodes.Count; j++)
            {
                if (ReadPort(r, portNodes[j], $"{path}.ports[{j}]") is { } port)
                {
                    ports.Add(port);
                }
            }

            rules.Add(new KubernetesRule(peers, ports));
        }

        return rules;
    }

    private static PolicyPeer? ReadPeer(DocumentReader r, YamlNode node, string path)
    {
        var misspelt = r.UnknownFields(node, path, "a NetworkPolicy peer", PeerFields);
        var pods = ReadSelector(r, node, "podSelector", $"{path}.podSelector");
        var namespaces = ReadSelector(r, node, "namespaceSelector", $"{path}.namespaceSelector");
        var ipBlockNode = DocumentReader.Get(node, "ipBlock");
        IpBlock? ipBlock = null;
        if (ipBlockNode is not null)
        {
            if (pods is not null || namespaces is not null)
            {
                r.Error(path, "PeerIpBlockWithSelector", $"{path} sets ipBlock together with a pod or namespace selector.",
                    "Use a separate peer entry for the ipBlock: ipBlock excludes the other two fields.");
                return null;
            }

            ipBlock = ReadIpBlock(r, ipBlockNode, $"{path}.ipBlock");
            if (ipBlock is null)
            {
                return null;
            }
        }
        else if (pods is null && namespaces is null && !misspelt)
        {
            r.Error(path, "PeerEmpty", $"{path} sets none of podSelector, namespaceSelector and ipBlock.",
                "Write podSelector: {} for all pods of the namespace, or namespaceSelector: {} for all pods; leave out from/to to allow every peer.");
            return null;
        }

        return new PolicyPeer(pods, namespaces, ipBlock);
    }

    private static IpBlock? ReadIpBlock(DocumentReader r, YamlNode node, string path)
    {
        var misspelt = r.UnknownFields(node, path, "an ipBlock", IpBlockFields);
        var cidrText = r.String(node, "cidr", $"{path}.cidr");
        if (cidrText is null && misspelt)
        {
            return null;
        }

        if (cidrText is null)
        {
            r.Error($"{path}.cidr", "IpBlockCidrMissing", $"{path} has no cidr.", "Write the block as cidr: 10.0.0.0/8.");
            return null;
        }

        if (!TryParseCidr(cidrText, out var cidr))
        {
            r.Error($"{path}.cidr", "IpBlockCidrInvalid", $"'{cidrText}' is not a CIDR.", "Write it as address/length, e.g. 192.168.1.0/24.");
            return null;
        }

        var excepts = new List<Prefix>();
        var exceptTexts = r.Strings(node, "except", $"{path}.except");
        for (var i = 0; i < exceptTexts.Count; i++)
        {
            if (!TryParseCidr(exceptTexts[i], out var e))
            {
                r.Error($"{path}.except[{i}]", "IpBlockCidrInvalid", $"'{exceptTexts[i]}' is not a CIDR.", "Write it as address/length.");
            }
            else if (!cidr.Contains(e))
            {
                r.Error($"{path}.except[{i}]", "IpBlockExceptOutsideCidr", $"except {e} is not inside cidr {cidr}.",
                    "Each except must be a subnet of the cidr (the API server rejects it otherwise).");
            }
            else
            {
                excepts.Add(e);
            }
        }

        return new IpBlock(cidr, excepts);
    }

    /// <summary>Parses a CIDR; host bits are masked, as Calico's conversion does.</summary>
    public static bool TryParseCidr(string text, out Prefix prefix) => Prefix.TryParse(text.Trim(), out prefix, out _, out _);

    private static PolicyPort? ReadPort(DocumentReader r, YamlNode node, string path)
    {
        r.UnknownFields(node, path, "a NetworkPolicy port", PortFields);
        var protocolText = r.String(node, "protocol", $"{path}.protocol") ?? "TCP";
        Protocol protocol;
        switch (protocolText)
        {
            case "TCP": protocol = Protocol.Tcp; break;
            case "UDP": protocol = Protocol.Udp; break;
            case "SCTP": protocol = Protocol.Sctp; break;
            default:
                r.Error($"{path}.protocol", "PortProtocolInvalid", $"Protocol '{protocolText}' is not supported by NetworkPolicy.", "Use TCP, UDP or SCTP.");
                return null;
        }

        int? number = null;
        string? portName = null;
        if (DocumentReader.Get(node, "port") is YamlScalarNode { Value: { } portText })
        {
            if (int.TryParse(portText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n))
            {
                if (n is < 1 or > 65535)
                {
                    r.Error($"{path}.port", "PortOutOfRange", $"Port {n} is not from 1 to 65535.", "Use a port from 1 to 65535.");
                    return null;
                }

                number = n;
            }
            else if (PortNames.IsValid(portText))
            {
                portName = portText;
            }
            else
            {
                r.Error($"{path}.port", "PortNameInvalid", $"'{portText}' is neither a port number nor a valid port name.",
                    "A named port has 1-15 lowercase letters, digits and '-', with at least one letter.");
                return null;
            }
        }
        else if (DocumentReader.Get(node, "port") is not null)
        {
            r.Error($"{path}.port", "PortInvalid", $"{path}.port must be a number or a name.", "Write a port number or a container port name.");
            return null;
        }

        var endPort = r.Int(node, "endPort", $"{path}.endPort", 1, 65535);
        if (endPort is { } end)
        {
            if (number is null)
            {
                r.Error($"{path}.endPort", "EndPortWithoutNumericPort", "endPort needs a numeric port.",
                    "Set port to the first number of the range; endPort cannot follow a named port or stand alone.");
                return null;
            }

            if (end < number)
            {
                r.Error($"{path}.endPort", "EndPortBeforePort", $"endPort {end} is below port {number}.", "endPort must be greater than or equal to port.");
                return null;
            }
        }

        return new PolicyPort(protocol, number, portName, endPort);
    }

    /// <summary>A label selector field; null when the field is not written (which, for a peer, is not the same as empty).</summary>
    public static LabelSelector? ReadSelector(DocumentReader r, YamlNode? parent, string key, string path)
    {
        var node = DocumentReader.Get(parent, key);
        if (node is null)
        {
            return null;
        }

        if (node is not YamlMappingNode)
        {
            r.Error(path, "LabelSelectorInvalid", $"{path} must be a label selector.", "Write matchLabels and/or matchExpressions, or {} for all.");
            return null;
        }

        r.UnknownFields(node, path, "a label selector", SelectorFields);
        var labels = r.Labels(node, "matchLabels", $"{path}.matchLabels");
        var expressions = new List<LabelSelectorRequirement>();
        var items = r.Sequence(node, "matchExpressions", $"{path}.matchExpressions");
        for (var i = 0; i < items.Count; i++)
        {
            var p = $"{path}.matchExpressions[{i}]";
            r.UnknownFields(items[i], p, "a label selector requirement", RequirementFields);
            var key2 = r.String(items[i], "key", $"{p}.key");
            var opText = r.String(items[i], "operator", $"{p}.operator");
            var values = r.Strings(items[i], "values", $"{p}.values");
            if (string.IsNullOrEmpty(key2))
            {
                r.Error($"{p}.key", "LabelSelectorInvalid", $"{p} has no key.", "Name the label the expression tests.");
                continue;
            }

            if (opText is null || !char.IsAsciiLetter(opText[0]) || !Enum.TryParse<LabelSelectorOperator>(opText, ignoreCase: false, out var op))
            {
                r.Error($"{p}.operator", "LabelSelectorInvalid", $"Operator '{opText}' is not a label selector operator.", "Use In, NotIn, Exists or DoesNotExist.");
                continue;
            }

            if (op is LabelSelectorOperator.In or LabelSelectorOperator.NotIn && values.Count == 0)
            {
                r.Error($"{p}.values", "LabelSelectorInvalid", $"{op} needs at least one value.", "List the values, or use Exists / DoesNotExist.");
                continue;
            }

            if (op is LabelSelectorOperator.Exists or LabelSelectorOperator.DoesNotExist && values.Count > 0)
            {
                r.Error($"{p}.values", "LabelSelectorInvalid", $"{op} takes no values.", "Remove the values, or use In / NotIn.");
                continue;
            }

            expressions.Add(new LabelSelectorRequirement(key2, op, values));
        }

        return new LabelSelector(labels, expressions);
    }
}

/// <summary>IANA_SVC_NAME, the form of a container port name and of a named port in a policy.</summary>
internal static class PortNames
{
    public static bool IsValid(string name)
    {
        if (name.Length is 0 or > 15 || name[0] == '-' || name[^1] == '-' || name.Contains("--", StringComparison.Ordinal))
        {
            return false;
        }

        var letter = false;
        foreach (var c in name)
        {
            if (char.IsAsciiLetterLower(c))
            {
                letter = true;
            }
            else if (!char.IsAsciiDigit(c) && c != '-')
            {
                return false;
            }
        }

        return letter;
    }
}
