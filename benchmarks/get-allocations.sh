#!/usr/bin/env bash
# Wall time of `trellis get allocations -o json` on a 32-cluster x 200-node site, process start included.
#
#   benchmarks/get-allocations.sh [runs]      (default 10 runs; run from anywhere)
#
# Builds the CLI as ./trellis does (native AOT with clang installed, else ReadyToRun), writes the site spec (the same shape as Sites.BigClusters in
# benchmarks/Trellis.Benchmarks/Sites.cs), applies it to a fresh SQLite state file with the CLI, then runs
# `trellis get allocations --state <file> -o json > /dev/null` N times and prints min / median / max.
# Needs: dotnet (SDK 10), python3. Temporary files are removed on exit.
set -euo pipefail

RUNS="${1:-10}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CLI="$ROOT/artifacts/trellis/trellis"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/trellis-get-allocations.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

echo "== building the CLI as ./trellis does (Release; native AOT with clang, else ReadyToRun)"
"$ROOT/trellis" --version >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }

echo "== writing the 32 x 200 site spec"
python3 - "$WORK/site.yaml" <<'PY'
import sys
clusters = 32
lines = [
    "apiVersion: trellis/v1",
    "kind: Site",
    "metadata: { name: big32 }",
    "spec:",
    "  model: AksHci",
    "  hostNetwork:",
    "    name: mgmtvnet",
    "    vswitchName: External",
    "    ipAllocationMethod: Static",
    "    ipAddressPrefix: 10.0.0.0/16",
    "    gateway: 10.0.0.1",
    "    dnsServers: [10.0.0.2]",
    "    k8sNodeIpPoolStart: 10.0.0.10",
    "    k8sNodeIpPoolEnd: 10.0.254.255",
    "    vipPoolStart: 10.0.255.0",
    "    vipPoolEnd: 10.0.255.200",
    "  cloudServiceCidr: 10.0.0.5/16",
    "  clusters:",
]
for i in range(clusters):
    lines += [
        f"    - name: k{i}",
        "      primaryNetworkPlugin: calico",
        "      controlPlaneNodeCount: 3",
        f"      podCidr: 10.{128 + i}.0.0/16",
        "      serviceCidr: 10.96.0.0/12",
        "      nodePools:",
        "        - { name: linux, osType: Linux, count: 157 }",
        "        - { name: win, osType: Windows, osSku: Windows2022, count: 40, maxPodCount: 60 }",
        "      services:",
        "        - { namespace: shop, name: web, ports: [443] }",
        "        - { namespace: shop, name: api, ports: [8443] }",
    ]
with open(sys.argv[1], "w") as f:
    f.write("\n".join(lines) + "\n")
PY

echo "== applying it to a fresh state file"
STATE="$WORK/state.db"
"$CLI" apply -f "$WORK/site.yaml" --state "$STATE" >"$WORK/apply.log" 2>&1 || { tail -n 40 "$WORK/apply.log"; echo "apply failed"; exit 1; }
tail -n 3 "$WORK/apply.log"

echo "== checking the output once"
"$CLI" get allocations --state "$STATE" -o json >"$WORK/allocations.json"
python3 - "$WORK/allocations.json" <<'PY'
import json, os, sys
data = json.load(open(sys.argv[1]))
items = data if isinstance(data, list) else next((v for v in data.values() if isinstance(v, list)), [])
print(f"   {len(items)} allocations, {os.path.getsize(sys.argv[1])} bytes of JSON")
PY

echo "== timing $RUNS runs of: trellis get allocations --state <file> -o json > /dev/null"
echo "   (then, for scale, $RUNS runs of: trellis --version, i.e. process start and runtime load only)"
python3 - "$RUNS" "$CLI" "$STATE" <<'PY'
import statistics, subprocess, sys, time
runs, cli, state = int(sys.argv[1]), sys.argv[2], sys.argv[3]

def measure(args, show):
    times = []
    for i in range(runs):
        start = time.perf_counter()
        subprocess.run([cli, *args], stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
        if show:
            print(f"   run {i + 1:2}: {times[-1] * 1000:8.1f} ms")
    return times

def summary(name, times):
    print(f"{name}: min {min(times) * 1000:.1f} ms, median {statistics.median(times) * 1000:.1f} ms, "
          f"max {max(times) * 1000:.1f} ms ({len(times)} runs)")

get = measure(["get", "allocations", "--state", state, "-o", "json"], True)
baseline = measure(["--version"], False)
summary("get allocations -o json", get)
summary("--version (baseline)   ", baseline)
PY
