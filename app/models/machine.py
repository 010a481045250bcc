"""What this machine offers a model: RAM, disk, cores and the GPU llama.cpp was built for.

The app process never imports ``llama_cpp`` (a crash in it would take the
window down; it lives in the worker), so the GPU backend is read from the
installed package's shared libraries instead, and CUDA memory from
``nvidia-smi``. Every probe degrades to None / "unknown" rather than failing:
a fit estimate with a missing number is still better than no window.
"""

from __future__ import annotations

import importlib.util
import platform
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import psutil

Backend = Literal["CPU", "CUDA", "Metal", "Vulkan", "unknown"]
GPU_BACKENDS: tuple[Backend, ...] = ("CUDA", "Metal", "Vulkan")
# Library file name fragments that give a backend away (Linux .so, macOS .dylib, Windows .dll).
_BACKEND_FILES: tuple[tuple[str, Backend], ...] = (
    ("ggml-cuda", "CUDA"),
    ("ggml-metal", "Metal"),
    ("ggml-vulkan", "Vulkan"),
)
# Older or static builds link the backend into libggml/libllama: look for its init symbol.
_BACKEND_SYMBOLS: tuple[tuple[bytes, Backend], ...] = (
    (b"ggml_backend_cuda_init", "CUDA"),
    (b"ggml_backend_metal_init", "Metal"),
    (b"ggml_backend_vk_init", "Vulkan"),
)
_MAX_SCANNED_LIB = 64 * 1024**2
NVIDIA_SMI_TIMEOUT_S = 3.0
MIB = 1024**2


@dataclass(frozen=True)
class Machine:
    """A snapshot of the machine; construct one by hand in tests. None means "could not tell"."""

    ram_total: int | None = None
    ram_available: int | None = None
    disk_free: int | None = None
    disk_path: Path | None = None  # the folder the free space was measured in
    cpu_cores: int | None = None  # physical when psutil knows them
    backend: Backend = "unknown"
    gpu_name: str | None = None
    gpu_free: int | None = None  # bytes a model may use on the GPU (all GPUs together)
    gpu_total: int | None = None
    unified_memory: bool = False  # Apple Silicon: GPU memory is RAM

    @property
    def has_gpu_backend(self) -> bool:
        return self.backend in GPU_BACKENDS

    def describe(self) -> str:
        def gib(n: int | None) -> str:
            return "?" if n is None else f"{n / 1024**3:.1f}"

        parts = [f"RAM {gib(self.ram_available)} of {gib(self.ram_total)} GiB free"]
        if self.cpu_cores:
            parts.append(f"{self.cpu_cores} cores")
        gpu = f"llama.cpp backend {self.backend}"
        if self.has_gpu_backend:
            gpu += f" ({self.gpu_name or 'GPU'}: {gib(self.gpu_free)} of {gib(self.gpu_total)} GiB free)"
        parts.append(gpu)
        if self.disk_free is not None:
            parts.append(f"disk {gib(self.disk_free)} GiB free")
        return ", ".join(parts)


def probe_machine(models_dir: Path | None = None) -> Machine:
    """Measure this machine now (fast: at most one ``nvidia-smi`` call with a timeout)."""
    if models_dir is None:
        from app.models.locate import models_dir as default_models_dir

        models_dir = default_models_dir()
    ram_total, ram_available = _ram()
    disk_path, disk_free = free_disk(models_dir)
    backend = detect_backend()
    gpu_name: str | None = None
    gpu_free = gpu_total = None
    unified = False
    if backend == "CUDA":
        gpu = read_nvidia_smi()
        if gpu is not None:
            gpu_name, gpu_free, gpu_total = gpu
    elif backend == "Metal" and platform.machine() == "arm64" and ram_total is not None:
        unified = True
        gpu_name = "Apple GPU (unified memory)"
        gpu_total = metal_working_set(ram_total)
        gpu_free = min(gpu_total, ram_available) if ram_available is not None else gpu_total
    return Machine(
        ram_total=ram_total,
        ram_available=ram_available,
        disk_free=disk_free,
        disk_path=disk_path,
        cpu_cores=_cores(),
        backend=backend,
        gpu_name=gpu_name,
        gpu_free=gpu_free,
        gpu_total=gpu_total,
        unified_memory=unified,
    )


def metal_working_set(ram_total: int) -> int:
    """What Metal lets one process keep resident: about 2/3 of RAM, 3/4 above 36 GiB.

    (Approximates ``recommendedMaxWorkingSetSize``, which needs Metal to read.)
    """
    share = 0.75 if ram_total > 36 * 1024**3 else 2 / 3
    return int(ram_total * share)


def _ram() -> tuple[int | None, int | None]:
    try:
        vm = psutil.virtual_memory()
        return int(vm.total), int(vm.available)
    except Exception:  # containers and odd kernels: no /proc/meminfo
        return None, None


def _cores() -> int | None:
    try:
        return psutil.cpu_count(logical=False) or psutil.cpu_count(logical=True)
    except Exception:
        return None


def free_disk(folder: Path) -> tuple[Path | None, int | None]:
    """Free bytes where ``folder`` is or would be created: its nearest existing ancestor."""
    p = Path(folder).expanduser()
    try:
        p = p.absolute()
        while not p.exists() and p != p.parent:
            p = p.parent
        return p, int(psutil.disk_usage(str(p)).free)
    except Exception:
        return None, None


def llama_cpp_lib_dir() -> Path | None:
    """The installed llama_cpp package's ``lib`` folder, found without importing the package."""
    try:
        spec = importlib.util.find_spec("llama_cpp")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for loc in spec.submodule_search_locations:
        lib = Path(loc) / "lib"
        if lib.is_dir():
            return lib
    return None


def detect_backend(lib_dir: Path | None = None) -> Backend:
    """The GPU backend llama-cpp-python was compiled with, from its shared libraries.

    ``lib_dir`` defaults to the installed package's; "unknown" when there is no
    package or no library in it, "CPU" when libraries are there but none is a GPU one.
    """
    lib = lib_dir if lib_dir is not None else llama_cpp_lib_dir()
    if lib is None or not lib.is_dir():
        return "unknown"
    try:
        libs = [f for f in lib.iterdir() if f.is_file() and _is_shared_lib(f.name)]
    except OSError:
        return "unknown"
    if not libs:
        return "unknown"
    for fragment, backend in _BACKEND_FILES:
        if any(fragment in f.name.lower() for f in libs):
            return backend
    for f in libs:
        if not any(k in f.name.lower() for k in ("ggml", "llama")):
            continue
        try:
            if f.stat().st_size > _MAX_SCANNED_LIB:
                continue
            data = f.read_bytes()
        except OSError:
            continue
        for symbol, backend in _BACKEND_SYMBOLS:
            if symbol in data:
                return backend
    return "CPU"


def _is_shared_lib(name: str) -> bool:
    n = name.lower()
    return n.endswith((".dylib", ".dll")) or ".so" in n


def read_nvidia_smi(
    exe: str | None = None, timeout: float = NVIDIA_SMI_TIMEOUT_S
) -> tuple[str, int, int] | None:
    """(GPU names, free bytes, total bytes) summed over NVIDIA GPUs; None if it cannot be read.

    llama.cpp spreads a model over every visible GPU by default, hence the sums.
    """
    exe = exe or shutil.which("nvidia-smi")
    if not exe:
        return None
    try:
        out = subprocess.run(
            [exe, "--query-gpu=name,memory.free,memory.total", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return parse_nvidia_smi(out.stdout)


def parse_nvidia_smi(text: str) -> tuple[str, int, int] | None:
    """Parse ``name, free MiB, total MiB`` lines; None when no line makes sense."""
    names: list[str] = []
    free = total = 0
    for line in text.splitlines():
        parts = [p.strip() for p in line.rsplit(",", 2)]
        if len(parts) != 3:
            continue
        try:
            f, t = int(float(parts[1])), int(float(parts[2]))
        except ValueError:  # "[N/A]" on some boards
            continue
        names.append(parts[0])
        free += f * MIB
        total += t * MIB
    if not names:
        return None
    label = names[0] if len(set(names)) == 1 else " + ".join(names)
    if len(names) > 1 and len(set(names)) == 1:
        label = f"{len(names)} × {names[0]}"
    return label, free, total
