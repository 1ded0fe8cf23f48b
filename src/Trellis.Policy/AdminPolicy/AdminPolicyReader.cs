using System.Net;
using Trellis.Core.Addressing;
using Trellis.Policy.Calico;
using Trellis.Policy.Kubernetes;
using Trellis.Policy.Manifests;
using YamlDotNet.RepresentationModel;

namespace Trellis.Policy.AdminPolicy;

/// <summary>
/// Reads policy.networking.k8s.io/v1alpha1 AdminNetworkPolicy and BaselineAdminNetworkPolicy with the CRD's validation
/// (network-policy-api config/crd): priority 0-1000, exactly one subject, at most 100 rules per direction, peers and
/// ports per rule, exactly one field per peer and port, at most 25 CIDRs per networks peer, no named port with a nodes or
/// networks peer, and a BaselineAdminNetworkPolicy named <c>default</c>. A policy with an error is rejected whole.
/// </summary>
internal static class AdminPolicyReader
{
    private static readonly string[] AdminSpecFields = ["egress", "ingress", "priority", "subject"];
    private static readonly string[] BaselineSpecFields = ["egress", "ingress", "subject"];
    private static readonly string[] SubjectFields = ["namespaces", "pods"];
    private static readonly string[] NamespacedPodFields = ["namespaceSelector", "podSelector"];
    private static readonly string[] IngressPeerFields = ["namespaces", "pods"];
    private static readonly string[] EgressPeerFields = ["domainNames", "namespaces", "networks", "nodes", "pods"];
    private static readonly string[] PortFields = ["namedPort", "portNumber", "portRange"];
    private static readonly string[] PortNumberFields = ["port", "protocol"];
    private static readonly string[] PortRangeFields = ["end", "protocol", "start"];

    /// <summary>Fields of earlier v1alpha1 drafts that Trellis does not evaluate: named, and their rule kept as Calico keeps it.</summary>
    private static readonly string[] UnsupportedSelectorFields = ["notSameLabels", "sameLabels"];

    public static AdminNetworkPolicy? Read(DocumentReader r, YamlNode doc, AdminPolicyKind kind, string name)
    {
        var before = r.Errors;
        var baseline = kind == AdminPolicyKind.BaselineAdminNetworkPolicy;
        var spec = r.Map(doc, "spec", "spec");
        r.UnknownFields(spec, "spec", $"a {kind} spec", baseline ? BaselineSpecFields : AdminSpecFields);
        if (baseline && name != AdminNetworkPolicy.BaselineName)
        {
            r.Error("metadata.name", "BaselinePolicyNameNotDefault", $"BaselineAdminNetworkPolicy '{name}' is not named '{AdminNetworkPolicy.BaselineName}'.",
                "A cluster has one BaselineAdminNetworkPolicy, named default (the CRD rejects any other name).");
        }

        int? priority = null;
        if (!baseline)
        {
            priority = ReadPriority(r, spec);
        }

        var subject = ReadSubject(r, spec);
        var ingress = ReadRules(r, spec, Direction.Ingress, baseline);
        var egress = ReadRules(r, spec, Direction.Egress, baseline);
        if (r.Errors > before || subject is null)
        {
            return null;
        }

        return new AdminNetworkPolicy
        {
            Kind = kind,
            Name = name,
            Priority = priority,
            Subject = subject,
            Ingress = ingress,
            Egress = egress,
            Source = r.Source,
        };
    }

    private static int? ReadPriority(DocumentReader r, YamlNode? spec)
    {
        if (DocumentReader.Get(spec, "priority") is null)
        {
            r.Error("spec.priority", "AdminPolicyPriorityInvalid", "An AdminNetworkPolicy needs spec.priority.",
                $"Set a priority from 0 (evaluated first) to {AdminNetworkPolicy.MaxPriority}.");
            return null;
        }

        var text = r.String(spec, "priority", "spec.priority");
        if (text is null)
        {
            return null;
        }

        if (!int.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var p)
            || p is < 0 or > AdminNetworkPolicy.MaxPriority)
        {
            r.Error("spec.priority", "AdminPolicyPriorityInvalid", $"spec.priority is '{text}', not a whole number from 0 to {AdminNetworkPolicy.MaxPriority}.",
                $"Use a priority from 0 (evaluated first) to {AdminNetworkPolicy.MaxPriority}.");
            return null;
        }

        return p;
    }

    private static AdminSubject? ReadSubject(DocumentReader r, YamlNode? spec)
    {
        var node = r.Map(spec, "subject", "spec.subject");
        if (node is null)
        {
            if (!DocumentReader.Has(spec, "subject"))
            {
                r.Error("spec.subject", "AdminPolicySubjectInvalid", "The policy has no spec.subject.",
                    "Set subject.namespaces (all pods of the selected namespaces) or subject.pods (namespaceSelector and podSelector).");
            }

            return null;
        }

        r.UnknownFields(node, "spec.subject", "an admin policy subject", SubjectFields);
        var namespaces = DocumentReader.Has(node, "namespaces");
        var pods = DocumentReader.Has(node, "pods");
        if (namespaces == pods)
        {
            r.Error("spec.subject", "AdminPolicySubjectInvalid", $"spec.subject sets {(namespaces ? "both namespaces and pods" : "neither namespaces nor pods")}.",
                "Set exactly one of subject.namespaces and subject.pods.");
            return null;
        }

        if (namespaces)
        {
            var selector = KubernetesPolicyReader.ReadSelector(r, node, "namespaces", "spec.subject.namespaces");
            return selector is null ? null : new AdminSubject(selector, null);
        }

        var (ns, pod) = ReadNamespacedPod(r, node, "pods", "spec.subject.pods");
        return ns is null || pod is null ? null : new AdminSubject(ns, pod);
    }

    /// <summary>A NamespacedPod: namespaceSelector and podSelector, both required (empty selects all).</summary>
    private static (LabelSelector? Namespaces, LabelSelector? Pods) ReadNamespacedPod(DocumentReader r, YamlNode? parent, string key, string path)
    {
        var node = r.Map(parent, key, path);
        if (node is null)
        {
            return (null, null);
        }

        r.UnknownFields(node, path, "a pods selection", NamespacedPodFields);
        var ns = KubernetesPolicyReader.ReadSelector(r, node, "namespaceSelector", $"{path}.namespaceSelector");
        var pods = KubernetesPolicyReader.ReadSelector(r, node, "podSelector", $"{path}.podSelector");
        foreach (var (value, field) in new[] { (ns, "namespaceSelector"), (pods, "podSelector") })
        {
            if (value is null && DocumentReader.IsNull(DocumentReader.Get(node, field)))
            {
                r.Error($"{path}.{field}", "AdminPeerInvalid", $"{path} has no {field}.", $"Write {field}: {{}} to select all.");
            }
        }

        return (ns, pods);
    }

    private static List<AdminRule> ReadRules(DocumentReader r, YamlNode? spec, Direction direction, bool baseline)
    {
        var field = direction.FieldName();
        var items = r.Sequence(spec, field, $"spec.{field}");
        TooLong(r, $"spec.{field}", items.Count, AdminNetworkPolicy.MaxItems, $"{field} rules");
        var rules = new List<AdminRule>();
        for (var i = 0; i < items.Count; i++)
        {
            if (ReadRule(r, items[i], direction, baseline, $"spec.{field}[{i}]") is { } rule)
            {
                rules.Add(rule);
            }
        }

        return rules;
    }

    private static AdminRule? ReadRule(DocumentReader r, YamlNode node, Direction direction, bool baseline, string path)
    {
        var peerField = direction == Direction.Ingress ? "from" : "to";
        r.UnknownFields(node, path, $"an admin policy {direction.FieldName()} rule", ["action", "name", peerField, "ports"]);
        var name = r.String(node, "name", $"{path}.name");
        if (name is { Length: > AdminNetworkPolicy.MaxItems })
        {
            r.Error($"{path}.name", "AdminPolicyListTooLong", $"The rule name has {name.Length} characters; the API allows {AdminNetworkPolicy.MaxItems}.",
                "Shorten the rule name.");
        }

        var actionText = r.String(node, "action", $"{path}.action");
        var action = actionText switch
        {
            "Allow" => RuleAction.Allow,
            "Deny" => RuleAction.Deny,
            "Pass" when !baseline => RuleAction.Pass,
            _ => (RuleAction?)null,
        };
        if (action is null)
        {
            r.Error($"{path}.action", "AdminRuleActionInvalid", $"Rule action '{actionText}' is not valid{(baseline ? " in a BaselineAdminNetworkPolicy" : "")}.",
                baseline ? "Use Allow or Deny (a baseline has nothing to pass to)." : "Use Allow, Deny or Pass (case-sensitive).");
        }

        var peerPath = $"{path}.{peerField}";
        var peerNodes = r.Sequence(node, peerField, peerPath);
        if (peerNodes.Count == 0)
        {
            r.Error(peerPath, "AdminRulePeersMissing", $"The rule has no {peerField} peers.",
                $"List at least one peer in {peerField}; namespaces: {{}} is every pod of the cluster.");
        }

        TooLong(r, peerPath, peerNodes.Count, AdminNetworkPolicy.MaxItems, $"{peerField} peers");
        var peers = new List<AdminPeer>();
        string? unsupported = null;
        for (var j = 0; j < peerNodes.Count; j++)
        {
            var (peer, reason) = ReadPeer(r, peerNodes[j], direction, $"{peerPath}[{j}]");
            unsupported ??= reason;
            if (peer is not null)
            {
                peers.Add(peer);
            }
        }

        IReadOnlyList<AdminPort>? ports = null;
        if (DocumentReader.Present(node, "ports"))
        {
            var portNodes = r.Sequence(node, "ports", $"{path}.ports");
            if (portNodes.Count == 0)
            {
                r.Error($"{path}.ports", "AdminPortInvalid", "ports is present but empty.", "Remove ports to match every port, or list at least one.");
            }

            TooLong(r, $"{path}.ports", portNodes.Count, AdminNetworkPolicy.MaxItems, "ports");
            var list = new List<AdminPort>();
            for (var j = 0; j < portNodes.Count; j++)
            {
                if (ReadPort(r, portNodes[j], $"{path}.ports[{j}]") is { } port)
                {
                    list.Add(port);
                }
            }

            ports = list;
            if (list.Any(p => p.Name is not null) && peers.Any(p => p.Kind is AdminPeerKind.Nodes or AdminPeerKind.Networks))
            {
                r.Error($"{path}.ports", "AdminNamedPortWithoutPods", "A rule with a nodes or networks peer cannot use namedPort: nodes and networks have no named ports.",
                    "Use portNumber or portRange, or move the nodes/networks peers to a rule of their own.");
            }
        }

        if (unsupported is not null && action is { } a)
        {
            r.Warning(peerPath, "AdminPeerUnsupported",
                $"The rule has a peer Trellis cannot evaluate ({unsupported}); as Calico does, {(a == RuleAction.Deny ? "this Deny rule denies all traffic" : $"this {a} rule matches nothing")}.",
                "Replace the peer with namespaces, pods, nodes or networks peers to have the rule analysed.");
        }

        return action is { } act ? new AdminRule(name, act, peers, ports) { Unsupported = unsupported } : null;
    }

    /// <returns>The peer, or null (with an error, or unsupported: then the reason).</returns>
    private static (AdminPeer? Peer, string? Unsupported) ReadPeer(DocumentReader r, YamlNode node, Direction direction, string path)
    {
        var egress = direction == Direction.Egress;
        if (r.UnknownFields(node, path, $"an admin policy {direction.FieldName()} peer", egress ? EgressPeerFields : IngressPeerFields))
        {
            return (null, null);
        }

        var set = (egress ? EgressPeerFields : IngressPeerFields).Where(f => DocumentReader.Has(node, f)).ToList();
        if (set.Count != 1)
        {
            r.Error(path, "AdminPeerInvalid", set.Count == 0 ? $"{path} sets no peer." : $"{path} sets {string.Join(" and ", set)}; a peer is exactly one of them.",
                egress ? "Write one of namespaces, pods, nodes or networks per peer entry." : "Write one of namespaces or pods per peer entry.");
            return (null, null);
        }

        var field = set[0];
        var at = $"{path}.{field}";
        switch (field)
        {
            case "domainNames":
                return (null, "domainNames");
            case "namespaces":
                if (Unsupported(DocumentReader.Get(node, field)) is { } reason)
                {
                    return (null, reason);
                }

                var ns = KubernetesPolicyReader.ReadSelector(r, node, field, at);
                return (ns is null ? null : new AdminPeer(AdminPeerKind.Namespaces) { NamespaceSelector = ns }, null);
            case "pods":
                var podsNode = DocumentReader.Get(node, field);
                if (Unsupported(DocumentReader.Get(podsNode, "namespaceSelector")) is { } why)
                {
                    return (null, why);
                }

                var (namespaces, pods) = ReadNamespacedPod(r, node, field, at);
                return (namespaces is null || pods is null ? null : new AdminPeer(AdminPeerKind.Pods) { NamespaceSelector = namespaces, PodSelector = pods }, null);
            case "nodes":
                var nodes = KubernetesPolicyReader.ReadSelector(r, node, field, at);
                return (nodes is null ? null : new AdminPeer(AdminPeerKind.Nodes) { NodeSelector = nodes }, null);
            default:
                var nets = ReadNetworks(r, node, at);
                return (nets is null ? null : new AdminPeer(AdminPeerKind.Networks) { Networks = nets }, null);
        }
    }

    /// <summary>sameLabels / notSameLabels, from a v1alpha1 draft: named rather than read as an ordinary selector.</summary>
    private static string? Unsupported(YamlNode? selector) =>
        UnsupportedSelectorFields.FirstOrDefault(f => DocumentReader.Present(selector, f)) is { } f ? f : null;

    private static List<Prefix>? ReadNetworks(DocumentReader r, YamlNode node, string path)
    {
        var before = r.Errors;
        var texts = r.Strings(node, "networks", path);
        if (texts.Count == 0 && r.Errors == before)
        {
            r.Error(path, "AdminNetworkInvalid", "networks is empty.", "List at least one CIDR, e.g. 10.0.0.0/8.");
        }

        TooLong(r, path, texts.Count, AdminNetworkPolicy.MaxNetworks, "CIDRs");
        var nets = new List<Prefix>();
        for (var i = 0; i < texts.Count; i++)
        {
            // The CRD checks isCIDR: an address alone is not one.
            if (texts[i].Contains('/', StringComparison.Ordinal) && KubernetesPolicyReader.TryParseCidr(texts[i], out var prefix))
            {
                nets.Add(prefix);
            }
            else
            {
                r.Error($"{path}[{i}]", "AdminNetworkInvalid", $"'{texts[i]}' is not a CIDR.", "Write it as address/length, e.g. 10.0.0.0/8 or fd00::/8.");
            }
        }

        return r.Errors > before ? null : nets;
    }

    private static AdminPort? ReadPort(DocumentReader r, YamlNode node, string path)
    {
        if (r.UnknownFields(node, path, "an admin policy port", PortFields))
        {
            return null;
        }

        var set = PortFields.Where(f => DocumentReader.Has(node, f)).ToList();
        if (set.Count != 1)
        {
            r.Error(path, "AdminPortInvalid", set.Count == 0 ? $"{path} sets no port." : $"{path} sets {string.Join(" and ", set)}; a port is exactly one of them.",
                "Write one of portNumber {protocol, port}, portRange {protocol, start, end} or namedPort per entry.");
            return null;
        }

        var before = r.Errors;
        switch (set[0])
        {
            case "namedPort":
                var name = r.String(node, "namedPort", $"{path}.namedPort");
                if (string.IsNullOrEmpty(name))
                {
                    r.Error($"{path}.namedPort", "AdminPortInvalid", "namedPort is empty.", "Name a container port, e.g. http.");
                    return null;
                }

                return AdminPort.Named(name);
            case "portNumber":
                var number = r.Map(node, "portNumber", $"{path}.portNumber");
                r.UnknownFields(number, $"{path}.portNumber", "a portNumber", PortNumberFields);
                var protocol = ReadProtocol(r, number, $"{path}.portNumber.protocol");
                var port = Required(r, number, "port", $"{path}.portNumber.port");
                return r.Errors > before || port is null || protocol is null ? null : AdminPort.Number(protocol.Value, port.Value);
            default:
                var range = r.Map(node, "portRange", $"{path}.portRange");
                r.UnknownFields(range, $"{path}.portRange", "a portRange", PortRangeFields);
                var rangeProtocol = ReadProtocol(r, range, $"{path}.portRange.protocol");
                var start = Required(r, range, "start", $"{path}.portRange.start");
                var end = Required(r, range, "end", $"{path}.portRange.end");
                if (start is { } s && end is { } e && e < s)
                {
                    r.Error($"{path}.portRange.end", "AdminPortRangeInvalid", $"portRange end {e} is below start {s}.",
                        "The range is start..end inclusive; end must not be below start (Calico drops such a rule).");
                }

                return r.Errors > before || start is null || end is null || rangeProtocol is null ? null : AdminPort.Range(rangeProtocol.Value, start.Value, end.Value);
        }
    }

    private static int? Required(DocumentReader r, YamlNode? node, string key, string path)
    {
        if (node is not null && DocumentReader.Get(node, key) is null)
        {
            r.Error(path, "AdminPortInvalid", $"{path} is missing.", "Give a port number from 1 to 65535.");
            return null;
        }

        return r.Int(node, key, path, 1, 65535);
    }

    /// <summary>TCP (the default), UDP or SCTP.</summary>
    private static Protocol? ReadProtocol(DocumentReader r, YamlNode? node, string path)
    {
        var text = r.String(node, "protocol", path) ?? "TCP";
        switch (text)
        {
            case "TCP": return Protocol.Tcp;
            case "UDP": return Protocol.Udp;
            case "SCTP": return Protocol.Sctp;
            default:
                r.Error(path, "PortProtocolInvalid", $"Protocol '{text}' is not supported by AdminNetworkPolicy.", "Use TCP, UDP or SCTP.");
                return null;
        }
    }

    private static void TooLong(DocumentReader r, string path, int count, int max, string what)
    {
        if (count > max)
        {
            r.Error(path, "AdminPolicyListTooLong", $"{path} has {count} {what}; the API allows at most {max}.", "Split the policy, or merge rules that share an action.");
        }
    }

    /// <summary>A Node's labels and the addresses of status.addresses (InternalIP, ExternalIP; host names are not addresses).</summary>
    public static NodeInfo ReadNode(DocumentReader r, YamlNode doc, string name, IReadOnlyDictionary<string, string> labels)
    {
        var addresses = new List<IPAddress>();
        var items = r.Sequence(DocumentReader.Get(doc, "status"), "addresses", "status.addresses");
        for (var i = 0; i < items.Count; i++)
        {
            var type = r.String(items[i], "type", $"status.addresses[{i}].type");
            var text = r.String(items[i], "address", $"status.addresses[{i}].address");
            if (type is not ("Hostname" or "InternalDNS" or "ExternalDNS") && text is not null && IpNumber.TryParse(text.Trim(), out var address) && !addresses.Contains(address))
            {
                addresses.Add(address);
            }
        }

        return new NodeInfo(name, labels, addresses) { Source = r.Source };
    }
}
