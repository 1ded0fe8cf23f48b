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

    public static Workload? Read(DocumentReader r, YamlNode doc, string kind, string ns, string name)
    {
        var before = r.Errors;
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

        var labels = r.Labels(podMeta, "labels", kind == "Pod" ? "metadata.labels" : "spec.template.metadata.labels");
        var ports = ReadPorts(r, podSpec, specPath);
        var serviceAccount = r.String(podSpec, "serviceAccountName", $"{specPath}.serviceAccountName")
            ?? r.String(podSpec, "serviceAccount", $"{specPath}.serviceAccount") ?? "default";
        var hostNetwork = r.Bool(podSpec, "hostNetwork", $"{specPath}.hostNetwork");
        var nodeSelector = r.Labels(podSpec, "nodeSelector", $"{specPath}.nodeSelector");
        var os = (nodeSelector.TryGetValue("kubernetes.io/os", out var o) || nodeSelector.TryGetValue("beta.kubernetes.io/os", out o))
            && string.Equals(o, "windows", StringComparison.OrdinalIgnoreCase) ? WorkloadOs.Windows : WorkloadOs.Linux;
        var nodeName = r.String(podSpec, "nodeName", $"{specPath}.nodeName");
        var addresses = kind == "Pod" ? ReadPodAddresses(r, doc) : [];
        if (r.Errors > before)
        {
            return null;
        }

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
        };
    }

    private static List<ContainerPort> ReadPorts(DocumentReader r, YamlNode podSpec, string specPath)
    {
        var ports = new List<ContainerPort>();
        var containers = r.Sequence(podSpec, "containers", $"{specPath}.containers");
        for (var c = 0; c < containers.Count; c++)
        {
            var items = r.Sequence(containers[c], "ports", $"{specPath}.containers[{c}].ports");
            for (var i = 0; i < items.Count; i++)
            {
                var path = $"{specPath}.containers[{c}].ports[{i}]";
                var number = r.Int(items[i], "containerPort", $"{path}.containerPort", 1, 65535);
                var portName = r.String(items[i], "name", $"{path}.name");
                var protocolText = r.String(items[i], "protocol", $"{path}.protocol") ?? "TCP";
                if (number is null)
                {
                    r.Error($"{path}.containerPort", "ContainerPortMissing", $"{path} has no containerPort.", "Give every container port a number.");
                    continue;
                }

                if (portName is not null && !PortNames.IsValid(portName))
                {
                    r.Error($"{path}.name", "PortNameInvalid", $"'{portName}' is not a valid port name.",
                        "A port name has 1-15 lowercase letters, digits and '-', with at least one letter.");
                    continue;
                }

                if (protocolText is not ("TCP" or "UDP" or "SCTP"))
                {
                    r.Error($"{path}.protocol", "PortProtocolInvalid", $"Protocol '{protocolText}' is not a container port protocol.", "Use TCP, UDP or SCTP.");
                    continue;
                }

                ports.Add(new ContainerPort(portName, number.Value, Protocol.Parse(protocolText)));
            }
        }

        return ports;
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
