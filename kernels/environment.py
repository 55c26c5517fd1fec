"""The versions and device facts to record beside every benchmark figure."""

from __future__ import annotations

import platform
import subprocess

import torch
from ahdr_kernels.support import triton_available

NVIDIA_SMI_FIELDS = (
    "name,driver_version,memory.total,clocks.sm,clocks.max.sm,clocks.mem,power.limit,"
    "temperature.gpu,utilization.gpu"
)


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"


def environment(device: torch.device | str) -> dict[str, str]:
    """Device, driver, CUDA, cuDNN, torch, triton and, on CUDA, clocks and power."""
    device = torch.device(device)
    info = {
        "device": device_name(device),
        "torch": torch.__version__,
        "python": platform.python_version(),
    }
    if triton_available():
        import triton

        info["triton"] = triton.__version__
    if device.type == "cuda":
        info["cuda"] = str(torch.version.cuda)
        info["cudnn"] = str(torch.backends.cudnn.version())
        major, minor = torch.cuda.get_device_capability(device)
        info["capability"] = f"sm_{major}{minor}"
        info.update(_nvidia_smi())
    return info


def _nvidia_smi() -> dict[str, str]:
    try:
        result = subprocess.run(
            ["nvidia-smi", f"--query-gpu={NVIDIA_SMI_FIELDS}", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return {"nvidia-smi": "failed"}
    values = [v.strip() for v in result.stdout.splitlines()[0].split(",")]
    return dict(zip(NVIDIA_SMI_FIELDS.split(","), values, strict=False))
