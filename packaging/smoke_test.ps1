# Build the bundle on Windows, then start it offscreen and check it (packaging/smoke_test.py): the
# PowerShell twin of packaging/smoke_test.sh.
#   packaging/smoke_test.ps1                          build, then test dist/QwenDesk (qwendesk-cli.exe)
#   $env:SKIP_BUILD=1; packaging/smoke_test.ps1 PATH  test an existing bundle
# $env:SMOKE_PYTHON runs the checker (default: the build venv's Python). The download check needs the
# tests' fake Hub, so pytest: point SMOKE_PYTHON at .venv/Scripts/python.exe (the test venv) to include it.
$ErrorActionPreference = "Stop"
Set-Location (Split-Path -Parent $PSScriptRoot)
$venv = if ($env:BUILD_VENV) { $env:BUILD_VENV } else { "build/venv" }
if (-not $env:SKIP_BUILD) {
    & powershell -NoProfile -ExecutionPolicy Bypass -File packaging/build.ps1
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
}
$py = if ($env:SMOKE_PYTHON) { $env:SMOKE_PYTHON } else { "$venv/Scripts/python.exe" }
if (-not (Test-Path $py)) { $py = "$venv/bin/python" }
$env:QT_QPA_PLATFORM = "offscreen"
& $py packaging/smoke_test.py @args
exit $LASTEXITCODE
