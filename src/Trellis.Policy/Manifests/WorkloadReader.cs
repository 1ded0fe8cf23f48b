using System.Net;
using Trellis.Core.Addressing;
using Trellis.Policy.Kubernetes;
using YamlDotNet.RepresentationModel;

namespace Trellis.Policy.Manifests;

/// <summary>Turns a Pod or a pod template (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob…) into a <see cref="Workload"/>.</summary>
internal static class WorkloadReader
{
    public static readonly IReadOnlySet<string> TemplateKinds =
        new HashSet<string>(StringComparer.Ordinal) { "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job", "CronJob" };

    /// <param name="podLabels">A Pod's metadata.labels, as already read with the object's metadata.</param>
    public static Workload? Read(DocumentReader r, YamlNode doc, string kind, string ns, string name, IReadOnlyDictionary<string, string> podLabels)
    {
        YamlNode? podMeta;
        YamlNode? podSpec;
        string specPath;
        int? replicas = 1;
        var spec = DocumentReader.Get(doc, "spec");
        switch (kind)
        {
            case "Pod":
                podMeta = DocumentReader.Get(doc, "metadata");
                podSpec = spec;
                specPath = "spec";
                break;
            case "CronJob":
                var template = DocumentReader.Get(DocumentReader.Get(DocumentReader.Get(spec, "jobTemplate"), "spec"), "template");
                podMeta = DocumentReader.Get(template, "metadata");
                podSpec = DocumentReader.Get(template, "spec");
                specPath = "spec.jobTemplate.spec.template.spec";
                break;
            default:
                var t = DocumentReader.Get(spec, "template");
                podMeta = DocumentReader.Get(t, "metadata");
                podSpec = DocumentReader.Get(t, "spec");
                specPath = "spec.template.spec";
                replicas = kind switch
                {
                    "DaemonSet" => null,
                    "Job" => r.Int(spec, "parallelism", "spec.parallelism", 0, int.MaxValue) ?? 1,
                    _ => r.Int(spec, "replicas", "spec.replicas", 0, int.MaxValue) ?? 1,
                };
                break;
        }

        if (podSpec is null)
        {
            r.Error(specPath, "WorkloadWithoutPodSpec", $"{kind} {ns}/{name} has no pod spec at {specPath}.", "Give the workload a pod template with containers.");
            return null;
        }

        var labels = kind == "Pod" ? podLabels : r.Labels(podMeta, "labels", "spec.template.metadata.labels");
        var ports = ReadPorts(r, podSpec, specPath);
        var serviceAccount = r.String(podSpec, "serviceAccountName", $"{specPath}.serviceAccountName")
            ?? r.String(podSpec, "serviceAccount", $"{specPath}.serviceAccount") ?? "default";
        var hostNetwork = r.Bool(podSpec, "hostNetwork", $"{specPath}.hostNetwork");
        var nodeSelector = r.Labels(podSpec, "nodeSelector", $"{specPath}.nodeSelector");
        var os = (nodeSelector.TryGetValue("kubernetes.io/os", out var o) || nodeSelector.TryGetValue("beta.kubernetes.io/os", out o))
            && string.Equals(o, "windows", StringComparison.OrdinalIgnoreCase) ? WorkloadOs.Windows : WorkloadOs.Linux;
        var nodeName = r.String(podSpec, "nodeName", $"{specPath}.nodeName");
        var addresses = kind == "Pod" ? ReadPodAddresses(r, doc) : [];

        // One bad field drops that field (a port, an address, a label), not the workload: its findings say what was left out.

        return new Workload
        {
            Namespace = ns,
            Name = name,
            Kind = kind,
            Labels = labels,
            ServiceAccount = serviceAccount,
            Ports = ports,
            Addresses = addresses,
            Nodes = nodeName is null ? [] : [nodeName],
            Replicas = replicas,
            HostNetwork = hostNetwork,
            Os = os,
            Source = r.Source,
            Owner = ReadOwner(r, DocumentReader.Get(doc, "metadata")),
        };
    }

    /// <summary>The fields of a core/v1 ContainerPort and of a Container (kubectl's strict validation knows no others).</summary>
    private static readonly string[] ContainerPortFields = ["containerPort", "hostIP", "hostPort", "name", "protocol"];

    private static readonly string[] ContainerFields =
    [
        "args", "command", "env", "envFrom", "image", "imagePullPolicy", "lifecycle", "livenessProbe", "name", "ports", "readinessProbe",
        "resizePolicy", "resources", "restartPolicy", "restartPolicyRules", "securityContext", "startupProbe", "stdin", "stdinOnce",
        "terminationMessagePath", "terminationMessagePolicy", "tty", "volumeDevices", "volumeMounts", "workingDir",
    ];

    /// <summary>The container ports; a port with a bad field is a finding and is skipped, the others stay.</summary>
    private static List<ContainerPort> ReadPorts(DocumentReader r, YamlNode podSpec, string specPath)
    {
        var ports = new List<ContainerPort>();
        var containers = r.Sequence(podSpec, "containers", $"{specPath}.containers");
        for (var c = 0; c < containers.Count; c++)
        {
            // A misspelt container field (port: for ports:) would silently lose the ports: name it, without failing the pod.
            r.UnknownFields(containers[c], $"{specPath}.containers[{c}]", "a container", ContainerFields, warn: true);
            var items = r.Sequence(containers[c], "ports", $"{specPath}.containers[{c}].ports");
            for (var i = 0; i < items.Count; i++)
            {
                var path = $"{specPath}.containers[{c}].ports[{i}]";
                var before = r.Errors;
                r.UnknownFields(items[i], path, "a container port", ContainerPortFields);
                var number = r.Int(items[i], "containerPort", $"{path}.containerPort", 1, 65535);
                if (number is null && r.Errors == before)
                {
                    // Not written (or written as null); a misspelt containerport was named above instead.
                    r.Error($"{path}.containerPort", "ContainerPortMissing", $"{path} has no containerPort.", "Give every container port a number.");
                }

                var portName = r.String(items[i], "name", $"{path}.name");
                var protocolText = r.String(items[i], "protocol", $"{path}.protocol") ?? "TCP";
                if (portName is not null && !PortNames.IsValid(portName))
                {
                    r.Error($"{path}.name", "PortNameInvalid", $"'{portName}' is not a valid port name.",
                        "A port name has 1-15 lowercase letters, digits and '-', with at least one letter.");
                }

                if (protocolText is not ("TCP" or "UDP" or "SCTP"))
                {
                    r.Error($"{path}.protocol", "PortProtocolInvalid", $"Protocol '{protocolText}' is not a container port protocol.", "Use TCP, UDP or SCTP.");
                }

                if (r.Errors == before && number is { } n)
                {
                    ports.Add(new ContainerPort(portName, n, Protocol.Parse(protocolText)));
                }
            }
        }

        return ports;
    }

    /// <summary>The ownerReferences entry with controller: true (at most one exists), as kube-controller-manager sets it.</summary>
    private static OwnerRef? ReadOwner(DocumentReader r, YamlNode? metadata)
    {
        var owners = r.Sequence(metadata, "ownerReferences", "metadata.ownerReferences");
        for (var i = 0; i < owners.Count; i++)
        {
            var path = $"metadata.ownerReferences[{i}]";
            if (r.Bool(owners[i], "controller", $"{path}.controller")
                && r.String(owners[i], "kind", $"{path}.kind") is { Length: > 0 } kind
                && r.String(owners[i], "name", $"{path}.name") is { Length: > 0 } name
                && kind != "Node")
            {
                // A static pod's mirror is "owned" by its Node, which is no workload to group it under.
                return new OwnerRef(kind, name);
            }
        }

        return null;
    }

    /// <summary>status.podIPs, status.podIP, or Calico's cni.projectcalico.org/podIPs / podIP annotations (Calico's getPodIPs order).</summary>
    private static List<IPAddress> ReadPodAddresses(DocumentReader r, YamlNode doc)
    {
        var status = DocumentReader.Get(doc, "status");
        var texts = new List<string>();
        foreach (var item in r.Sequence(status, "podIPs", "status.podIPs"))
        {
            if (r.String(item, "ip", "status.podIPs.ip") is { } ip)
            {
                texts.Add(ip);
            }
        }

        if (texts.Count == 0 && r.String(status, "podIP", "status.podIP") is { } single)
        {
            texts.Add(single);
        }

        var annotations = r.Labels(DocumentReader.Get(doc, "metadata"), "annotations", "metadata.annotations");
        if (texts.Count == 0 && annotations.TryGetValue("cni.projectcalico.org/podIPs", out var many))
        {
            texts.AddRange(many.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }
        else if (texts.Count == 0 && annotations.TryGetValue("cni.projectcalico.org/podIP", out var one))
        {
            texts.Add(one);
        }

        var addresses = new List<IPAddress>();
        foreach (var text in texts)
        {
            var bare = text.Split('/')[0];
            if (IpNumber.TryParse(bare, out var address))
            {
                addresses.Add(address);
            }
            else
            {
                r.Error("status.podIP", "PodIpInvalid", $"'{text}' is not an IP address.", "Write the pod's address, e.g. 10.244.1.5.");
            }
        }

        return addresses;
    }
}
