using Trellis.Core.Model;
using Trellis.Core.Validation;
using Trellis.Policy.AdminPolicy;
using Trellis.Policy.Calico;
using Trellis.Policy.Kubernetes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Trellis.Policy.Manifests;

/// <summary>Collects the objects of one apply, by kind and identity (a later object replaces an earlier one), and builds the <see cref="PolicySet"/>.</summary>
internal sealed class ManifestBuilder
{
    public readonly List<Finding> Findings = [];
    private readonly List<LoadNote> _notes = [];
    private readonly Dictionary<string, NamespaceInfo> _namespaces = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Workload> _workloads = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ServiceInfo> _services = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ServiceAccountInfo> _accounts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, KubernetesNetworkPolicy> _k8s = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CalicoPolicy> _calico = new(StringComparer.Ordinal);
    private readonly Dictionary<string, AdminNetworkPolicy> _admin = new(StringComparer.Ordinal);
    private readonly Dictionary<string, NodeInfo> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Tier> _tiers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, NetworkSet> _sets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IpPoolInfo> _pools = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FelixVxlanSettings> _felix = new(StringComparer.Ordinal);

    public void Add(PolicySet s)
    {
        Findings.AddRange(s.Findings);
        _notes.AddRange(s.Notes);
        foreach (var n in s.Namespaces.Where(n => n.Declared))
        {
            _namespaces[n.Name] = n;
        }

        foreach (var w in s.Workloads)
        {
            _workloads[w.Id] = w;
        }

        foreach (var x in s.Services)
        {
            _services[x.Id] = x;
        }

        foreach (var x in s.ServiceAccounts)
        {
            _accounts[$"{x.Namespace}/{x.Name}"] = x;
        }

        foreach (var x in s.KubernetesPolicies)
        {
            _k8s[x.Id] = x;
        }

        foreach (var x in s.CalicoPolicies)
        {
            _calico[$"{x.Kind}/{x.Id}"] = x;
        }

        foreach (var x in s.AdminPolicies)
        {
            _admin[$"{x.Kind}/{x.Name}"] = x;
        }

        foreach (var x in s.Nodes)
        {
            _nodes[x.Name] = x;
        }

        foreach (var x in s.Tiers)
        {
            _tiers[x.Name] = x;
        }

        foreach (var x in s.NetworkSets)
        {
            _sets[(x.IsGlobal ? "G/" : "N/") + x.Id] = x;
        }

        foreach (var x in s.IpPools)
        {
            _pools[x.Name] = x;
        }

        foreach (var x in s.FelixConfigurations)
        {
            _felix[x.Name] = x;
        }
    }

    public void AddText(string text, string file)
    {
        var number = 0;
        foreach (var (chunk, firstLine, firstColumns) in ManifestLoader.SplitDocuments(text))
        {
            if (ManifestLoader.IsBlank(chunk))
            {
                continue;
            }

            number++;
            var source = new SourceRef(file, number);
            if (YamlPrescan.Check(chunk, firstLine - 1, firstColumns) is { } refused)
            {
                // Unclosed flow collections, malformed tags and runaway nesting, which YamlStream cannot load safely.
                Findings.Add(Finding.Error("ManifestYamlInvalid", source.Path(), $"The document is not valid YAML: {refused.Message}",
                    $"{refused.Hint} The other documents were still read."));
                continue;
            }

            YamlNode root;
            try
            {
                var stream = new YamlStream();
                stream.Load(new StringReader(chunk));
                if (stream.Documents.Count == 0)
                {
                    continue;
                }

                root = stream.Documents[0].RootNode;
            }
            catch (YamlException e)
            {
                // YamlDotNet's message starts with its own position in the document: give the file's instead.
                Findings.Add(Finding.Error("ManifestYamlInvalid", source.Path(),
                    $"The document is not valid YAML at {YamlPrescan.Position(e.Start, firstLine - 1, firstColumns)} of {file}: {YamlPrescan.WithoutPosition(e.Message)}",
                    $"Fix the YAML near line {e.Start.Line + firstLine - 1} of the file; the other documents were still read."));
                continue;
            }

            AddObject(root, source, "");
        }
    }

    /// <param name="list">The kind and apiVersion of the list holding this item, if any.</param>
    private void AddObject(YamlNode root, SourceRef source, string prefix, (string Kind, string ApiVersion)? list = null)
    {
        var r = new DocumentReader(source, Findings);
        if (root is not YamlMappingNode)
        {
            r.Error(prefix, "ManifestNotAnObject", "The document is not a Kubernetes object.", "Each document needs apiVersion, kind and metadata.");
            return;
        }

        var apiVersion = r.String(root, "apiVersion", $"{prefix}apiVersion") ?? "";
        var kind = r.String(root, "kind", $"{prefix}kind") ?? "";
        if (list is { } typed && kind.Length == 0 && apiVersion.Length == 0)
        {
            // As the API machinery decodes a typed list (PodList, DeploymentList…): an item without kind and apiVersion
            // takes the list's kind less "List" and the list's apiVersion (unstructured decodeToList).
            kind = typed.Kind[..^"List".Length];
            apiVersion = typed.ApiVersion;
        }

        if (kind.EndsWith("List", StringComparison.Ordinal) && DocumentReader.Get(root, "items") is YamlSequenceNode items)
        {
            var i = 0;
            foreach (var item in items)
            {
                AddObject(item, source, $"{prefix}items[{i++}].", (kind, apiVersion));
            }

            return;
        }

        var metadata = DocumentReader.Get(root, "metadata");
        var name = r.String(metadata, "name", $"{prefix}metadata.name");
        if (string.IsNullOrEmpty(kind) || string.IsNullOrEmpty(apiVersion))
        {
            r.Error($"{prefix}kind", "ManifestKindMissing", "The document has no apiVersion or kind.", "Each document needs apiVersion and kind.");
            return;
        }

        if (string.IsNullOrEmpty(name))
        {
            r.Error($"{prefix}metadata.name", "ManifestNameMissing", $"{kind} has no metadata.name.", "Give every object a name.");
            return;
        }

        var ns = r.String(metadata, "namespace", $"{prefix}metadata.namespace");
        var labels = r.Labels(metadata, "labels", $"{prefix}metadata.labels");
        var group = apiVersion.Contains('/', StringComparison.Ordinal) ? apiVersion[..apiVersion.IndexOf('/', StringComparison.Ordinal)] : "";
        var scoped = ns ?? "default";
        var reader = prefix.Length == 0 ? r : new DocumentReader(source, Findings, prefix);
        var node = root;
        switch (group, kind)
        {
            case ("", "Namespace"):
                var nsLabels = new Dictionary<string, string>(labels, StringComparer.Ordinal) { [NamespaceInfo.NameLabel] = name };
                _namespaces[name] = new NamespaceInfo(name, nsLabels) { Source = source };
                break;
            case ("", "Pod") or ("apps", "Deployment" or "StatefulSet" or "DaemonSet" or "ReplicaSet") or ("", "ReplicationController") or ("batch", "Job" or "CronJob"):
                if (WorkloadReader.Read(reader, node, kind, scoped, name, labels) is { } w)
                {
                    _workloads[w.Id] = w;
                }

                break;
            case ("", "Service"):
                var svc = ReadService(reader, node, scoped, name);
                _services[svc.Id] = svc;

                break;
            case ("", "ServiceAccount"):
                _accounts[$"{scoped}/{name}"] = new ServiceAccountInfo(scoped, name, labels) { Source = source };
                break;
            case ("networking.k8s.io", "NetworkPolicy"):
                if (KubernetesPolicyReader.Read(reader, node, scoped, name) is { } np)
                {
                    _k8s[np.Id] = np;
                }

                break;
            case ("projectcalico.org" or "crd.projectcalico.org", "NetworkPolicy" or "GlobalNetworkPolicy"):
                var policyKind = kind == "NetworkPolicy" ? CalicoPolicyKind.NetworkPolicy : CalicoPolicyKind.GlobalNetworkPolicy;
                if (CalicoReader.ReadPolicy(reader, node, policyKind, policyKind == CalicoPolicyKind.NetworkPolicy ? scoped : null, name) is { } cp)
                {
                    _calico[$"{cp.Kind}/{cp.Id}"] = cp;
                }

                break;
            case ("policy.networking.k8s.io", "AdminNetworkPolicy" or "BaselineAdminNetworkPolicy"):
                var adminKind = kind == "AdminNetworkPolicy" ? AdminPolicyKind.AdminNetworkPolicy : AdminPolicyKind.BaselineAdminNetworkPolicy;
                if (AdminPolicyReader.Read(reader, node, adminKind, name) is { } anp)
                {
                    _admin[$"{anp.Kind}/{anp.Name}"] = anp;
                }

                break;
            case ("", "Node"):
                _nodes[name] = AdminPolicyReader.ReadNode(reader, node, name, labels);
                break;
            case ("projectcalico.org" or "crd.projectcalico.org", "Tier"):
                if (CalicoReader.ReadTier(reader, node, name) is { } tier)
                {
                    _tiers[name] = tier;
                }

                break;
            case ("projectcalico.org" or "crd.projectcalico.org", "NetworkSet" or "GlobalNetworkSet"):
                var global = kind == "GlobalNetworkSet";
                if (CalicoReader.ReadNetworkSet(reader, node, global ? null : scoped, name, labels) is { } set)
                {
                    _sets[(global ? "G/" : "N/") + set.Id] = set;
                }

                break;
            case ("projectcalico.org" or "crd.projectcalico.org", "IPPool"):
                if (CalicoReader.ReadIpPool(reader, node, name) is { } pool)
                {
                    _pools[name] = pool;
                }

                break;
            case ("projectcalico.org" or "crd.projectcalico.org", "FelixConfiguration"):
                _felix[name] = CalicoReader.ReadFelix(reader, node, name);
                break;
            case ("projectcalico.org" or "crd.projectcalico.org", "Profile"):
                _notes.Add(new LoadNote(source, kind, name, "not analysed: with the Kubernetes datastore Calico derives profiles from namespaces (kns.<namespace>, allow all)."));
                break;
            default:
                _notes.Add(new LoadNote(source, kind, name, $"skipped: {apiVersion} {kind} does not take part in network policy analysis."));
                break;
        }
    }

    /// <summary>The fields of a core/v1 ServicePort.</summary>
    private static readonly string[] ServicePortFields = ["appProtocol", "name", "nodePort", "port", "protocol", "targetPort"];

    /// <summary>A Service; a port with a bad field is a finding and is skipped, the Service and its other ports stay.</summary>
    private static ServiceInfo ReadService(DocumentReader r, YamlNode doc, string ns, string name)
    {
        var spec = DocumentReader.Get(doc, "spec");
        var selector = DocumentReader.Get(spec, "selector") is null ? null : r.Labels(spec, "selector", "spec.selector");
        var ports = new List<ServicePort>();
        var items = r.Sequence(spec, "ports", "spec.ports");
        for (var i = 0; i < items.Count; i++)
        {
            var path = $"spec.ports[{i}]";
            var before = r.Errors;
            r.UnknownFields(items[i], path, "a service port", ServicePortFields);
            var port = r.Int(items[i], "port", $"{path}.port", 1, 65535);
            if (port is null && r.Errors == before)
            {
                r.Error($"{path}.port", "ServicePortMissing", $"{path} has no port.", "Give every service port a number.");
            }

            var protocolText = r.String(items[i], "protocol", $"{path}.protocol") ?? "TCP";
            if (protocolText is not ("TCP" or "UDP" or "SCTP"))
            {
                r.Error($"{path}.protocol", "PortProtocolInvalid", $"Protocol '{protocolText}' is not a service protocol.", "Use TCP, UDP or SCTP.");
            }

            var target = r.String(items[i], "targetPort", $"{path}.targetPort");
            var portName = r.String(items[i], "name", $"{path}.name");
            if (r.Errors == before && port is { } number)
            {
                ports.Add(new ServicePort(portName, number, target ?? number.ToString(System.Globalization.CultureInfo.InvariantCulture), Protocol.Parse(protocolText)));
            }
        }

        return new ServiceInfo(ns, name, selector, ports) { Source = r.Source };
    }

    public PolicySet Build()
    {
        // A policy in a tier that does not exist is rejected by Calico's API.
        var tiers = _tiers.Values.ToList();
        var tierNames = new HashSet<string>(tiers.Select(t => t.Name).Concat(Tier.BuiltIn.Select(t => t.Name)), StringComparer.Ordinal);
        var calico = new List<CalicoPolicy>();
        foreach (var p in _calico.Values)
        {
            if (tierNames.Contains(p.Tier))
            {
                calico.Add(p);
            }
            else
            {
                Findings.Add(Finding.Error("TierUnknown", p.Source.Path("spec.tier"), $"{p} is in tier '{p.Tier}', which no Tier declares.",
                    $"Add a projectcalico.org/v3 Tier named {p.Tier}, or move the policy to an existing tier."));
            }
        }

        var namespaces = new Dictionary<string, NamespaceInfo>(_namespaces, StringComparer.Ordinal);
        var used = _workloads.Values.Select(w => w.Namespace)
            .Concat(_services.Values.Select(s => s.Namespace))
            .Concat(_k8s.Values.Select(p => p.Namespace))
            .Concat(calico.Where(p => p.Namespace is not null).Select(p => p.Namespace!))
            .Concat(_sets.Values.Where(s => s.Namespace is not null).Select(s => s.Namespace!));
        foreach (var ns in used)
        {
            if (!namespaces.ContainsKey(ns))
            {
                namespaces[ns] = new NamespaceInfo(ns, new Dictionary<string, string>(StringComparer.Ordinal) { [NamespaceInfo.NameLabel] = ns }) { Declared = false };
            }
        }

        return new PolicySet
        {
            Namespaces = namespaces.Values.OrderBy(n => n.Name, StringComparer.Ordinal).ToList(),
            Workloads = _workloads.Values.OrderBy(w => w.Id, StringComparer.Ordinal).ToList(),
            Services = _services.Values.OrderBy(s => s.Id, StringComparer.Ordinal).ToList(),
            ServiceAccounts = _accounts.Values.ToList(),
            KubernetesPolicies = _k8s.Values.ToList(),
            CalicoPolicies = calico,
            AdminPolicies = _admin.Values.ToList(),
            Nodes = _nodes.Values.OrderBy(n => n.Name, StringComparer.Ordinal).ToList(),
            Tiers = tiers,
            NetworkSets = _sets.Values.ToList(),
            IpPools = _pools.Values.ToList(),
            FelixConfigurations = _felix.Values.ToList(),
            Findings = Findings.ToList(),
            Notes = _notes.ToList(),
        };
    }
}
