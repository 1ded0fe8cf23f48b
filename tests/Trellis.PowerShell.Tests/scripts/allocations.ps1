# Imports the module by name, as a user does, and lists a state's allocations: one "pool address owner" line each, then
# where the Engine and the native SQLite library were loaded from (the module's own dependency context and deps/ folder).
param([Parameter(Mandatory)] [string] $StatePath)
$ErrorActionPreference = 'Stop'
Import-Module Trellis
foreach ($a in Get-TrellisIpAllocation -StatePath $StatePath) { "$($a.Pool) $($a.Address) $($a.Owner)" }
$engine = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'Trellis.Engine' }
"engine-context: $([System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($engine).Name)"
"engine-file: $($engine.Location)"
Get-Content "/proc/$PID/maps" | Where-Object { $_ -match 'libe_sqlite3' } | ForEach-Object { "native: $(($_ -split '\s+')[-1])" } | Select-Object -First 1
try { Get-TrellisIpAllocation -StatePath $StatePath -ClusterName nosuchcluster -ErrorAction Stop } catch { "error: $($_.FullyQualifiedErrorId)" }
