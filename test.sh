#!/usr/bin/env bash
# Installs what the tests need and runs every test of the solution.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v dotnet >/dev/null 2>&1; then
  echo "test.sh: the .NET SDK (dotnet) is required; install dotnet-sdk-10.0" >&2
  exit 2
fi

# The real components the integration tests run (DESIGN.md): installed from Debian when missing.
# clang and zlib1g-dev build the CLI as a native AOT binary (./trellis), which a test runs next to the managed one.
# etcd-server and etcd-client (etcd, etcdctl): the etcd store's tests start a real 3-member cluster on loopback ports.
# iputils-ping: trellis lab probe pings between the lab's namespaces; tcpdump: trellis lab trace captures a VXLAN packet.
# nftables: the lab's pod firewalls (network policy compiled to nft, loaded and probed by the policy kernel test).
# curl: the rendered keepalived.conf checks HAProxy with /usr/bin/curl (the lab's load balancer VMs run it as rendered).
packages=(haproxy keepalived curl kea-dhcp4-server isc-dhcp-client iproute2 iputils-ping tcpdump nftables python3 procps psmisc chromium clang zlib1g-dev etcd-server etcd-client)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "test.sh: missing Debian packages: ${missing[*]}; run as root or: sudo apt-get install -y ${missing[*]}" >&2
    exit 2
  fi
  echo "test.sh: installing ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The packages' own services are not wanted: tests start these programs themselves.
  for svc in haproxy keepalived kea-dhcp4-server etcd; do
    systemctl disable --now "$svc" >/dev/null 2>&1 || service "$svc" stop >/dev/null 2>&1 || true
  done
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# A real pwsh for the module's tests (Import-Module as a user does it): PowerShell 7.6.10, the .NET tool, in .tools/.
# The version is pinned: without it the installer takes the newest, which needs a newer .NET than this machine's.
if [[ ! -x .tools/pwsh ]] || [[ "$(.tools/pwsh -NoProfile -NonInteractive -Command '$PSVersionTable.PSVersion.ToString()' 2>/dev/null)" != "7.6.10" ]]; then
  rm -rf .tools/pwsh .tools/.store/powershell
  dotnet tool install PowerShell --version 7.6.10 --tool-path .tools >/dev/null
fi

dotnet build Trellis.slnx -c Release -nologo -v quiet
./trellis --version >/dev/null   # the native CLI, as the README's first command builds it
./trellis serve --help >/dev/null   # the native server, as `./trellis serve` builds it
results="$(mktemp -d)"
status=0
dotnet test Trellis.slnx -c Release --no-build -nologo --logger "trx" --results-directory "$results" || status=$?

# One closing line for CI: N passed, N failed.
python3 - "$results" <<'PY' || true
import sys, glob, xml.etree.ElementTree as ET
passed = failed = skipped = 0
for f in glob.glob(sys.argv[1] + "/*.trx"):
    c = ET.parse(f).getroot().find(".//{*}Counters")
    if c is None: continue
    passed += int(c.get("passed", 0)); failed += int(c.get("failed", 0)) + int(c.get("error", 0))
    skipped += int(c.get("notExecuted", 0))
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
rm -rf "$results"
exit $status
