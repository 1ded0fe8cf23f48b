# Import-TrellisSite and Export-TrellisConfig with -WhatIf, as a user runs them: the plan is printed and nothing is written.
param([string] $Spec)
$ErrorActionPreference = 'Stop'
Import-Module Trellis
Import-TrellisSite -StatePath ./plan.db -Path $Spec -WhatIf
"state-written: $(Test-Path ./plan.db)"
Import-TrellisSite -StatePath ./site.db -Path $Spec | Out-Null
Export-TrellisConfig haproxy -ClusterName a -Path ./out -StatePath ./site.db -WhatIf
"config-written: $(Test-Path ./out)"
New-TrellisService -StatePath ./site.db -ClusterName a -Namespace shop -Name web9 -Port 8443 -SharedIpKey front -WhatIf
"services: $((Get-TrellisService a -StatePath ./site.db).Count)"
