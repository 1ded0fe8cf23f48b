# Import-TrellisPolicy, then Remove-TrellisPolicy with -WhatIf (the plan printed, nothing removed) and -Confirm:$false, as a user runs them.
param([string] $Spec, [string] $Policies)
$ErrorActionPreference = 'Stop'
Import-Module Trellis
Import-TrellisSite -StatePath ./site.db -Path $Spec | Out-Null
Import-TrellisPolicy -StatePath ./site.db -Path $Policies | Out-Null
"before: $((Get-TrellisCompliance -StatePath ./site.db | Select-Object -ExpandProperty Assignment -Unique) -join ',')"
Remove-TrellisPolicy calico-only -StatePath ./site.db -WhatIf
"after-whatif: $((Get-TrellisCompliance -StatePath ./site.db | Select-Object -ExpandProperty Assignment -Unique) -join ',')"
Remove-TrellisPolicy calico-only -StatePath ./site.db -Confirm:$false
"after-remove: $((Get-TrellisCompliance -StatePath ./site.db | Select-Object -ExpandProperty Assignment -Unique) -join ',')"
try {
    Remove-TrellisPolicy calico-only -StatePath ./site.db -Confirm:$false
} catch {
    "again: $($_.FullyQualifiedErrorId)"
}
