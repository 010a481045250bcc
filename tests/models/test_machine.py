"""The machine probe: every number degrades to None / "unknown", and llama_cpp is never imported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app.models import machine as mach
from app.models.machine import (
    Machine,
    detect_backend,
    free_disk,
    parse_nvidia_smi,
    probe_machine,
    read_nvidia_smi,
)

GIB = 1024**3
REPO = Path(__file__).resolve().parents[2]


def fake_exe(folder: Path, body: str) -> str:
    """A shell script standing in for nvidia-smi."""
    exe = folder / "nvidia-smi"
    exe.write_text(f"#!/bin/sh\n{body}\n")
    exe.chmod(0o755)
    return str(exe)


def lib_dir(folder: Path, *names: str, content: bytes = b"\x7fELF") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for n in names:
        (folder / n).write_bytes(content)
    return folder


def test_probe_this_machine(tmp_path: Path) -> None:
    m = probe_machine(tmp_path)
    assert m.ram_total and m.ram_available and 0 < m.ram_available <= m.ram_total
    assert m.disk_free and m.disk_path == tmp_path
    assert m.cpu_cores and m.cpu_cores >= 1
    assert m.backend in ("CPU", "CUDA", "Metal", "Vulkan", "unknown")
    assert "RAM" in m.describe()


def test_default_models_dir_is_the_data_dir_one(qwendesk_home: Path) -> None:
    m = probe_machine()
    assert m.disk_path is not None and qwendesk_home.is_relative_to(m.disk_path)
    assert not (qwendesk_home / "models").exists()  # measuring creates nothing


def test_nonexistent_models_dir_measures_its_nearest_parent(tmp_path: Path) -> None:
    where, free = free_disk(tmp_path / "no" / "such" / "models")
    assert where == tmp_path and free and free > 0
    assert not (tmp_path / "no").exists()
    assert probe_machine(tmp_path / "missing").disk_path == tmp_path


def test_probe_never_imports_llama_cpp() -> None:
    code = (
        "import sys; from app.models.machine import probe_machine; m = probe_machine(); "
        "assert 'llama_cpp' not in sys.modules, 'imported'; print(m.backend)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "CPU"  # this test machine's llama-cpp-python is a CPU build


@pytest.mark.parametrize(
    ("names", "backend"),
    [
        (("libllama.so", "libggml.so", "libggml-cpu.so"), "CPU"),
        (("libllama.so", "libggml-cuda.so"), "CUDA"),
        (("libllama.dylib", "libggml-metal.dylib"), "Metal"),
        (("llama.dll", "ggml-vulkan.dll"), "Vulkan"),
        (("libllama.so.0.5.0", "libggml-cuda.so.0"), "CUDA"),
        ((), "unknown"),
        (("README.txt",), "unknown"),
    ],
)
def test_backend_from_library_names(tmp_path: Path, names: tuple[str, ...], backend: str) -> None:
    assert detect_backend(lib_dir(tmp_path / "lib", *names)) == backend


def test_backend_linked_into_libggml(tmp_path: Path) -> None:
    lib = lib_dir(tmp_path / "lib", "libggml.dylib", content=b"...ggml_backend_metal_init...")
    assert detect_backend(lib) == "Metal"


def test_backend_unknown_without_the_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert detect_backend(tmp_path / "nowhere") == "unknown"
    monkeypatch.setattr(mach.importlib.util, "find_spec", lambda name: None)
    assert mach.llama_cpp_lib_dir() is None
    assert detect_backend() == "unknown"


def test_nvidia_smi_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mach.shutil, "which", lambda name: None)
    assert read_nvidia_smi() is None
    assert read_nvidia_smi("/no/such/nvidia-smi") is None


def test_nvidia_smi_read(tmp_path: Path) -> None:
    exe = fake_exe(tmp_path, "echo 'NVIDIA GeForce RTX 4090, 23000, 24564'")
    assert read_nvidia_smi(exe) == ("NVIDIA GeForce RTX 4090", 23000 * 1024**2, 24564 * 1024**2)


@pytest.mark.parametrize(
    "body", ["exit 9", "echo 'No devices were found'", "sleep 5"], ids=["fails", "garbage", "hangs"]
)
def test_nvidia_smi_problems_give_none(tmp_path: Path, body: str) -> None:
    assert read_nvidia_smi(fake_exe(tmp_path, body), timeout=0.5) is None


def test_parse_several_gpus() -> None:
    text = "NVIDIA A100, 1000, 2000\nNVIDIA A100, 500, 2000\nOdd GPU, [N/A], [N/A]\n"
    assert parse_nvidia_smi(text) == ("2 × NVIDIA A100", 1500 * 1024**2, 4000 * 1024**2)
    assert parse_nvidia_smi("") is None


def test_cuda_probe_reads_nvidia_smi(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(mach, "detect_backend", lambda: "CUDA")
    monkeypatch.setattr(mach, "read_nvidia_smi", lambda: ("H100", 70 * GIB, 80 * GIB))
    m = probe_machine(tmp_path)
    assert (m.backend, m.gpu_name, m.gpu_free, m.gpu_total) == ("CUDA", "H100", 70 * GIB, 80 * GIB)
    assert m.has_gpu_backend and not m.unified_memory and "H100" in m.describe()
    monkeypatch.setattr(mach, "read_nvidia_smi", lambda: None)
    m = probe_machine(tmp_path)
    assert m.backend == "CUDA" and m.gpu_free is None and m.gpu_total is None


def test_metal_probe_is_unified_memory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(mach, "detect_backend", lambda: "Metal")
    monkeypatch.setattr(mach.platform, "machine", lambda: "arm64")
    m = probe_machine(tmp_path)
    assert m.unified_memory and m.ram_total and m.gpu_total and m.gpu_free is not None
    assert m.gpu_total < m.ram_total and m.gpu_free <= m.gpu_total
    assert mach.metal_working_set(64 * GIB) == 48 * GIB


def test_psutil_failures_give_none(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def broken(*args: object, **kwargs: object) -> object:
        raise OSError("no /proc here")

    monkeypatch.setattr(mach.psutil, "virtual_memory", broken)
    monkeypatch.setattr(mach.psutil, "disk_usage", broken)
    monkeypatch.setattr(mach.psutil, "cpu_count", broken)
    m = probe_machine(tmp_path)
    assert (m.ram_total, m.ram_available, m.disk_free, m.cpu_cores) == (None, None, None, None)
    assert "?" in m.describe()


def test_machine_is_a_plain_value() -> None:
    m = Machine(ram_total=8 * GIB, ram_available=6 * GIB, backend="CPU")
    assert not m.has_gpu_backend and m.gpu_free is None
    assert m == Machine(ram_total=8 * GIB, ram_available=6 * GIB, backend="CPU")
