using System.Globalization;
using Trellis.Core.Addressing;
using Trellis.Policy.Kubernetes;
using Trellis.Policy.Manifests;
using Trellis.Policy.Selectors;
using YamlDotNet.RepresentationModel;

namespace Trellis.Policy.Calico;

/// <summary>Reads projectcalico.org/v3 resources: NetworkPolicy, GlobalNetworkPolicy, Tier, NetworkSet, GlobalNetworkSet, IPPool, FelixConfiguration.</summary>
internal static class CalicoReader
{
    // The fields of projectcalico.org/v3 policies (policy_common.go, networkpolicy.go, globalnetworkpolicy.go): any
    // other is named (ManifestUnknownField) and the policy rejected, as calicoctl and the API server reject it.
    private static readonly string[] PolicySpecFields =
    [
        "applyOnForward", "doNotTrack", "egress", "ingress", "namespaceSelector", "order", "performanceHints", "preDNAT", "selector",
        "serviceAccountSelector", "tier", "types",
    ];

    private static readonly string[] RuleFields = ["action", "destination", "http", "icmp", "ipVersion", "metadata", "notICMP", "notProtocol", "protocol", "source"];
    private static readonly string[] EntityFields = ["namespaceSelector", "nets", "notNets", "notPorts", "notSelector", "ports", "selector", "serviceAccounts", "services"];
    private static readonly string[] IcmpFields = ["code", "type"];

    public static CalicoPolicy? ReadPolicy(DocumentReader r, YamlNode doc, CalicoPolicyKind kind, string? ns, string name)
    {
        var before = r.Errors;
        var spec = r.Map(doc, "spec", "spec");
        r.UnknownFields(spec, "spec", $"a Calico {kind} spec", PolicySpecFields);
        var tier = r.String(spec, "tier", "spec.tier");
        var order = r.Double(spec, "order", "spec.order");
        var selector = ReadSelector(r, spec, "selector", "spec.selector") ?? SelectorExpression.All;
        SelectorExpression? nsSelector = null;
        if (kind == CalicoPolicyKind.GlobalNetworkPolicy)
        {
            nsSelector = ReadSelector(r, spec, "namespaceSelector", "spec.namespaceSelector");
        }
        else if (DocumentReader.Has(spec, "namespaceSelector"))
        {
            r.Error("spec.namespaceSelector", "CalicoFieldInvalid", "A namespaced NetworkPolicy has no spec.namespaceSelector.",
                "Use a GlobalNetworkPolicy to select endpoints of several namespaces.");
        }

        var saSelector = ReadSelector(r, spec, "serviceAccountSelector", "spec.serviceAccountSelector");
        var ingress = ReadRules(r, spec, "ingress");
        var egress = ReadRules(r, spec, "egress");
        var types = r.PolicyTypes(spec, "types", "spec.types");

        if (r.Bool(spec, "doNotTrack", "spec.doNotTrack") || r.Bool(spec, "preDNAT", "spec.preDNAT"))
        {
            r.Warning("spec", "HostEndpointPolicyIgnored", $"GlobalNetworkPolicy {name} is doNotTrack or preDNAT, which applies to host endpoints only.",
                "Trellis models workload endpoints; this policy is not analysed.");
            return null;
        }

        var typesDeclared = types != PolicyTypes.None;
        if (!typesDeclared)
        {
            types = CalicoPolicy.DefaultTypes(ingress.Count > 0, egress.Count > 0);
        }

        if (r.Errors > before)
        {
            return null;
        }

        return new CalicoPolicy
        {
            Kind = kind,
            Name = name,
            Namespace = ns,
            Tier = string.IsNullOrEmpty(tier) ? Tier.DefaultName : tier,
            Order = order,
            Selector = selector,
            NamespaceSelector = nsSelector,
            ServiceAccountSelector = saSelector,
            Types = types,
            TypesDeclared = typesDeclared,
            Ingress = ingress,
            Egress = egress,
            Source = r.Source,
        };
    }

    private static List<CalicoRule> ReadRules(DocumentReader r, YamlNode? spec, string field)
    {
        var rules = new List<CalicoRule>();
        var items = r.Sequence(spec, field, $"spec.{field}");
        for (var i = 0; i < items.Count; i++)
        {
            if (ReadRule(r, items[i], $"spec.{field}[{i}]") is { } rule)
            {
                rules.Add(rule);
            }
        }

        return rules;
    }

    private static CalicoRule? ReadRule(DocumentReader r, YamlNode node, string path)
    {
        var before = r.Errors;
        r.UnknownFields(node, path, "a Calico rule", RuleFields);
        var actionText = r.String(node, "action", $"{path}.action");
        RuleAction action = RuleAction.Allow;
        if (actionText is null || !char.IsAsciiLetter(actionText[0]) || !Enum.TryParse(actionText, ignoreCase: true, out action))
        {
            r.Error($"{path}.action", "RuleActionInvalid", $"Rule action '{actionText}' is not valid.", "Use Allow, Deny, Pass or Log.");
        }

        var protocol = ReadProtocol(r, node, "protocol", $"{path}.protocol");
        var notProtocol = ReadProtocol(r, node, "notProtocol", $"{path}.notProtocol");
        var icmp = ReadIcmp(r, node, "icmp", $"{path}.icmp");
        var notIcmp = ReadIcmp(r, node, "notICMP", $"{path}.notICMP");
        var ipVersion = r.Int(node, "ipVersion", $"{path}.ipVersion", 4, 6);
        if (ipVersion is 5)
        {
            r.Error($"{path}.ipVersion", "IpVersionInvalid", "ipVersion must be 4 or 6.", "Use 4 or 6, or leave it out for both.");
        }

        var source = ReadEntity(r, node, "source", $"{path}.source");
        var destination = ReadEntity(r, node, "destination", $"{path}.destination");
        if ((source.Ports.Count > 0 || source.NotPorts.Count > 0 || destination.Ports.Count > 0 || destination.NotPorts.Count > 0)
            && protocol is not { SupportsPortMatch: true })
        {
            r.Error($"{path}.protocol", "RulePortsNeedProtocol", "A rule with ports must set protocol to TCP, UDP or SCTP.",
                "Add protocol: TCP (or the protocol the ports belong to).");
        }

        if ((icmp is not null || notIcmp is not null) && protocol is not { IsIcmp: true })
        {
            r.Error($"{path}.icmp", "RuleIcmpNeedsProtocol", "An icmp or notICMP match needs protocol ICMP or ICMPv6.", "Add protocol: ICMP.");
        }

        if (destination.Services is not null && (destination.Ports.Count > 0 || destination.NotPorts.Count > 0))
        {
            r.Error($"{path}.destination.services", "RuleServicesWithPorts", "destination.services cannot be combined with destination ports.",
                "The service's own ports are matched; remove ports/notPorts.");
        }

        foreach (var (nets, name) in new[] { (source.Nets, "source.nets"), (source.NotNets, "source.notNets"), (destination.Nets, "destination.nets"), (destination.NotNets, "destination.notNets") })
        {
            if (ipVersion is { } v && nets.Any(n => IpNumber.Bits(n.Family) != (v == 4 ? 32 : 128)))
            {
                r.Error($"{path}.{name}", "RuleNetsVersionMismatch", $"{name} holds a CIDR of another IP version than ipVersion {v}.", "Split the rule by IP version.");
            }
        }

        if (r.Errors > before)
        {
            return null;
        }

        return new CalicoRule
        {
            Action = action,
            Protocol = protocol,
            NotProtocol = notProtocol,
            Icmp = icmp,
            NotIcmp = notIcmp,
            IpVersion = ipVersion,
            Source = source,
            Destination = destination,
            HasHttpMatch = DocumentReader.Has(node, "http"),
        };
    }

    private static Protocol? ReadProtocol(DocumentReader r, YamlNode node, string key, string path)
    {
        var text = r.String(node, key, path);
        if (text is null)
        {
            return null;
        }

        if (Protocol.TryParse(text, out var protocol))
        {
            return protocol;
        }

        r.Error(path, "ProtocolInvalid", $"'{text}' is not a protocol.", "Use TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite or a number 1-255.");
        return null;
    }

    private static IcmpMatch? ReadIcmp(DocumentReader r, YamlNode node, string key, string path)
    {
        var map = r.Map(node, key, path);
        if (map is null)
        {
            return null;
        }

        r.UnknownFields(map, path, "an ICMP match", IcmpFields);
        var type = r.Int(map, "type", $"{path}.type", 0, 254);
        var code = r.Int(map, "code", $"{path}.code", 0, 255);
        if (code is not null && type is null)
        {
            r.Error($"{path}.code", "IcmpCodeWithoutType", "An ICMP code needs a type.", "Add the ICMP type the code belongs to.");
        }

        return new IcmpMatch(type, code);
    }

    private static EntityRule ReadEntity(DocumentReader r, YamlNode node, string key, string path)
    {
        var e = r.Map(node, key, path);
        if (e is null)
        {
            return EntityRule.Any;
        }

        r.UnknownFields(e, path, "a Calico entity rule", EntityFields);

        ServiceAccountMatch? accounts = null;
        if (r.Map(e, "serviceAccounts", $"{path}.serviceAccounts") is { } sa)
        {
            accounts = new ServiceAccountMatch(r.Strings(sa, "names", $"{path}.serviceAccounts.names"),
                ReadSelector(r, sa, "selector", $"{path}.serviceAccounts.selector"));
        }

        ServiceMatch? services = null;
        if (r.Map(e, "services", $"{path}.services") is { } svc)
        {
            var svcName = r.String(svc, "name", $"{path}.services.name");
            if (string.IsNullOrEmpty(svcName))
            {
                r.Error($"{path}.services.name", "RuleServiceNameMissing", "services needs the service's name.", "Write services: {name: web, namespace: shop}.");
            }
            else
            {
                services = new ServiceMatch(svcName, r.String(svc, "namespace", $"{path}.services.namespace"));
            }
        }

        return new EntityRule
        {
            Nets = ReadNets(r, e, "nets", $"{path}.nets"),
            NotNets = ReadNets(r, e, "notNets", $"{path}.notNets"),
            Selector = ReadSelector(r, e, "selector", $"{path}.selector"),
            NotSelector = ReadSelector(r, e, "notSelector", $"{path}.notSelector"),
            NamespaceSelector = ReadSelector(r, e, "namespaceSelector", $"{path}.namespaceSelector"),
            ServiceAccounts = accounts,
            Services = services,
            Ports = ReadPorts(r, e, "ports", $"{path}.ports"),
            NotPorts = ReadPorts(r, e, "notPorts", $"{path}.notPorts"),
        };
    }

    /// <summary>CIDRs or single addresses (a bare address is its /32 or /128), host bits masked as Calico normalises them.</summary>
    public static List<Prefix> ReadNets(DocumentReader r, YamlNode? node, string key, string path)
    {
        var result = new List<Prefix>();
        var texts = r.Strings(node, key, path);
        for (var i = 0; i < texts.Count; i++)
        {
            if (TryParseNet(texts[i], out var prefix))
            {
                result.Add(prefix);
            }
            else
            {
                r.Error($"{path}[{i}]", "NetInvalid", $"'{texts[i]}' is not a CIDR or an IP address.", "Write it as 10.0.0.0/8 or 10.1.2.3.");
            }
        }

        return result;
    }

    public static bool TryParseNet(string text, out Prefix prefix)
    {
        if (KubernetesPolicyReader.TryParseCidr(text, out prefix))
        {
            return true;
        }

        if (IpNumber.TryParse(text.Trim(), out var address))
        {
            prefix = new Prefix(address, IpNumber.Bits(address.AddressFamily));
            return true;
        }

        return false;
    }

    private static List<PortMatch> ReadPorts(DocumentReader r, YamlNode node, string key, string path)
    {
        var result = new List<PortMatch>();
        var items = r.Sequence(node, key, path);
        for (var i = 0; i < items.Count; i++)
        {
            var text = (items[i] as YamlScalarNode)?.Value;
            if (text is not null && TryParsePort(text, out var port))
            {
                result.Add(port);
            }
            else
            {
                r.Error($"{path}[{i}]", "PortInvalid", $"'{text}' is not a port, a range or a port name.", "Write 80, \"6040:6050\" or a named port such as http.");
            }
        }

        return result;
    }

    public static bool TryParsePort(string text, out PortMatch port)
    {
        port = default;
        var t = text.Trim();
        var colon = t.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0)
        {
            if (int.TryParse(t[..colon], NumberStyles.None, CultureInfo.InvariantCulture, out var first)
                && int.TryParse(t[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var last)
                && first <= last && last <= 65535)
            {
                port = PortMatch.Range(first, last);
                return true;
            }

            return false;
        }

        if (int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var single))
        {
            if (single > 65535)
            {
                return false;
            }

            port = PortMatch.Single(single);
            return true;
        }

        if (t.Length is > 0 and <= 128 && t.Any(char.IsAsciiLetter) && t.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            port = PortMatch.Named(t);
            return true;
        }

        return false;
    }

    public static SelectorExpression? ReadSelector(DocumentReader r, YamlNode? node, string key, string path)
    {
        var text = r.String(node, key, path);
        if (text is null)
        {
            return null;
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            return new SelectorExpression(text, Selector.All);
        }

        if (CalicoSelector.TryParse(text, out var selector, out var error))
        {
            return new SelectorExpression(text, selector);
        }

        r.Error(path, "SelectorInvalid", $"Selector '{text}' does not parse at column {error.Column}: {error.Message}",
            "Write it as Calico selector, e.g. app == 'web' && has(tier).");
        return null;
    }

    public static Tier? ReadTier(DocumentReader r, YamlNode doc, string name)
    {
        var before = r.Errors;
        var spec = DocumentReader.Get(doc, "spec");
        var order = r.Double(spec, "order", "spec.order");
        var actionText = r.String(spec, "defaultAction", "spec.defaultAction") ?? "Deny";
        var action = TierDefaultAction.Deny;
        if (!char.IsAsciiLetter(actionText.FirstOrDefault()) || !Enum.TryParse(actionText, ignoreCase: true, out action))
        {
            r.Error("spec.defaultAction", "TierDefaultActionInvalid", $"defaultAction '{actionText}' is not valid.", "Use Deny or Pass.");
        }

        var builtIn = Tier.BuiltIn.FirstOrDefault(t => t.Name == name);
        if (builtIn is not null && action != builtIn.DefaultAction)
        {
            r.Error("spec.defaultAction", "TierDefaultActionInvalid", $"Tier {name} must have defaultAction {builtIn.DefaultAction}.",
                $"Calico fixes the default action of its built-in {name} tier.");
        }

        return r.Errors > before ? null : new Tier(name, order ?? builtIn?.Order, action) { Source = r.Source };
    }

    public static NetworkSet? ReadNetworkSet(DocumentReader r, YamlNode doc, string? ns, string name, IReadOnlyDictionary<string, string> labels)
    {
        var before = r.Errors;
        var nets = ReadNets(r, DocumentReader.Get(doc, "spec"), "nets", "spec.nets");
        return r.Errors > before ? null : new NetworkSet(name, ns, labels, nets) { Source = r.Source };
    }

    public static IpPoolInfo? ReadIpPool(DocumentReader r, YamlNode doc, string name)
    {
        var spec = DocumentReader.Get(doc, "spec");
        var cidrText = r.String(spec, "cidr", "spec.cidr");
        if (cidrText is null || !KubernetesPolicyReader.TryParseCidr(cidrText, out var cidr))
        {
            r.Error("spec.cidr", "IpPoolCidrInvalid", $"IPPool {name} has no valid cidr.", "Write the pool's CIDR, e.g. 10.244.0.0/16.");
            return null;
        }

        return new IpPoolInfo(name, cidr, r.String(spec, "ipipMode", "spec.ipipMode") ?? "Never",
            r.String(spec, "vxlanMode", "spec.vxlanMode") ?? "Never", r.Bool(spec, "disabled", "spec.disabled")) { Source = r.Source };
    }

    public static FelixVxlanSettings ReadFelix(DocumentReader r, YamlNode doc, string name)
    {
        var spec = DocumentReader.Get(doc, "spec");
        return new FelixVxlanSettings(name, r.Int(spec, "vxlanVNI", "spec.vxlanVNI", 0, 16_777_215), r.Int(spec, "vxlanPort", "spec.vxlanPort", 1, 65535))
        {
            Source = r.Source,
        };
    }
}
