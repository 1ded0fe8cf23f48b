@{
    RootModule           = 'Trellis.PowerShell.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '5b0f6a52-7c1e-4d8e-9a43-2f6a1c0e9b11'
    Author               = 'Trellis'
    Description          = 'Trellis: AKS hybrid networking cmdlets on the Trellis Engine.'
    PowerShellVersion    = '7.6'
    CompatiblePSEditions = @('Core')
    FormatsToProcess     = @(
        'formats/Trellis.Allocations.Format.ps1xml'
        'formats/AksHci.Format.ps1xml'
        'formats/Trellis.Format.ps1xml'
    )
    CmdletsToExport      = @(
        'Get-TrellisIpAllocation'
        'New-AksHciNetworkSetting'
        'New-AksHciLoadBalancerSetting'
        'Get-AksHciCluster'
        'Remove-AksHciCluster'
        'Update-AksHciCluster'
        'Get-AksHciNodePool'
        'Remove-AksHciNodePool'
        'New-AksHciClusterNetwork'
        'Get-AksHciClusterNetwork'
        'Remove-AksHciClusterNetwork'
        'Set-AksHciConfig'
        'Get-AksHciConfig'
        'Install-AksHci'
        'Set-AksHciRegistration'
        'Set-AksHciLoadBalancer'
        'New-AksHciCluster'
        'Set-AksHciCluster'
        'New-AksHciNodePool'
        'Set-AksHciNodePool'
        'Get-TrellisAudit'
        'Get-TrellisCapacity'
        'Test-TrellisSite'
        'Import-TrellisSite'
        'Export-TrellisSite'
        'Export-TrellisConfig'
        'Test-TrellisNetworkPolicy'
        'Get-TrellisTrace'
        'Get-TrellisService'
        'New-TrellisService'
        'Remove-TrellisService'
        'New-TrellisLoadBalancerPool'
        'New-TrellisBgpPeer'
        'New-TrellisDhcpScope'
        'Export-TrellisDeploymentScript'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
}
