# Build the QwenDesk desktop bundle on Windows with PyInstaller: the PowerShell twin of packaging/build.sh,
# step for step, for where bash cannot run (see packaging/README.md):
#   dist/QwenDesk/QwenDesk.exe (the window, no console) and dist/QwenDesk/qwendesk-cli.exe (the command line)
#
# It installs QwenDesk and PyInstaller (the `packaging` extra) into a build venv, $env:BUILD_VENV
# (default build/venv), made with $env:PYTHON (default python) if it is not there yet. llama-cpp-python is
# what pip builds by default (CPU). With $env:CMAKE_ARGS set (-DGGML_CUDA=on), llama-cpp-python is compiled
# with them first, past pip's wheel cache (which would hand back the CPU build), once per venv and
# CMAKE_ARGS: keep one BUILD_VENV per engine (build/venv-cuda).
#   powershell -ExecutionPolicy Bypass -File packaging/build.ps1
$ErrorActionPreference = "Stop"
Set-Location (Split-Path -Parent $PSScriptRoot)

function Invoke-Checked {
    # Run a program and stop on a non-zero exit status (PowerShell does not, for native programs).
    $program, $arguments = $args
    & $program @arguments
    if ($LASTEXITCODE -ne 0) { throw "$program exited with status $LASTEXITCODE" }
}

$venv = if ($env:BUILD_VENV) { $env:BUILD_VENV } else { "build/venv" }
$python = if ($env:PYTHON) { $env:PYTHON } else { "python" }
$started = Get-Date

if (-not (Test-Path "$venv/Scripts/python.exe") -and -not (Test-Path "$venv/bin/python")) {
    Invoke-Checked $python -m venv $venv
}
$py = "$venv/Scripts/python.exe"
if (-not (Test-Path $py)) { $py = "$venv/bin/python" }

$stamp = "$venv/.qwendesk-cmake-args"
$previous = if (Test-Path $stamp) { Get-Content -Raw $stamp } else { "" }
if ($env:CMAKE_ARGS -and $previous -ne $env:CMAKE_ARGS) {
    # the pyproject's pin
    $llama = (Select-String -Path pyproject.toml -Pattern '"(llama-cpp-python[^"]*)"' | Select-Object -First 1).Matches[0].Groups[1].Value
    Write-Output "compiling $llama with CMAKE_ARGS=$($env:CMAKE_ARGS)"
    Invoke-Checked $py -m pip install --disable-pip-version-check --no-cache-dir --force-reinstall --no-deps $llama
    Set-Content -NoNewline -Path $stamp -Value $env:CMAKE_ARGS
}
Invoke-Checked $py -m pip install --disable-pip-version-check '.[packaging]'

Invoke-Checked $py -m PyInstaller --noconfirm --log-level WARN `
    --distpath dist --workpath build/pyinstaller packaging/qwendesk.spec

$out = "dist/QwenDesk"
foreach ($exe in "QwenDesk.exe", "qwendesk-cli.exe") {
    if (-not (Test-Path "$out/$exe")) { throw "PyInstaller made no $out/$exe" }
}
$size = (Get-ChildItem -Recurse -File $out | Measure-Object -Sum Length).Sum / 1MB
Write-Output ("built $out in {0:N0} s, {1:N0} MB" -f ((Get-Date) - $started).TotalSeconds, $size)
