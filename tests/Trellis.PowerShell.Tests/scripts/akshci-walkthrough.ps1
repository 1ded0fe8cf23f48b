# An AksHci deployment rehearsed as an operator writes it, in a real pwsh with the module imported by name: the host network
# (static, VLAN 7), Set-AksHciConfig, a cluster, a Windows node pool, and a cluster whose HAProxy load balancer is scaled
# from 3 VMs to 5. Writes "cluster …" and "allocation pool address owner" lines, and the error id of a refused change.
param([Parameter(Mandatory)] [string] $StatePath)
$ErrorActionPreference = 'Stop'
Import-Module Trellis
$PSDefaultParameterValues['*-AksHci*:StatePath'] = $StatePath
$PSDefaultParameterValues['Get-TrellisIpAllocation:StatePath'] = $StatePath

$vnet = New-AksHciNetworkSetting -name mgmtvnet -vswitchName External -k8sNodeIpPoolStart 172.16.10.1 -k8sNodeIpPoolEnd 172.16.10.255 -vipPoolStart 172.16.255.0 -vipPoolEnd 172.16.255.253 -ipAddressPrefix 172.16.0.0/16 -gateway 172.16.0.1 -dnsServers 172.16.0.1 -vlanID 7
Set-AksHciConfig -workingDir c:\clusterstorage\volume1\workingDir -cloudConfigLocation c:\clusterstorage\volume1\Config -vnet $vnet -cloudservicecidr "172.16.0.10/16" | Out-Null
New-AksHciCluster -name mycluster | Out-Null
New-AksHciNodePool -clusterName mycluster -name windowsnodepool -count 2 -osType Windows -osSku Windows2022 | Out-Null
$lbCfg = New-AksHciLoadBalancerSetting -name haProxyLB -loadBalancerSku HAProxy -vmSize Standard_K8S3_v1 -loadBalancerCount 3
New-AksHciCluster -name holidays -nodePoolName linuxnodepool -nodeCount 2 -loadBalancerSettings $lbCfg | Out-Null
Set-AksHciLoadBalancer -clusterName holidays -loadBalancerCount 5 -WhatIf
Set-AksHciLoadBalancer -clusterName holidays -loadBalancerCount 5 | Out-Null

foreach ($c in Get-AksHciCluster) { "cluster $($c.Name) $($c.ApiServerVip) $($c.LoadBalancerCount) $($c.NodePools -join ',')" }
foreach ($a in Get-TrellisIpAllocation) { "allocation $($a.Pool) $($a.Address) $($a.Owner)" }
try { New-AksHciCluster -name mycluster } catch { "refused: $($_.FullyQualifiedErrorId)" }
