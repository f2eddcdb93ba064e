"""Where training runs: the devices this machine offers, choosing one, and setting torch up for it."""

from __future__ import annotations

import os
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

import torch

from ..errors import ConvCanvasError


def physical_cores() -> int:
    """Physical CPU cores available to this process (hyper-threads share one core's units)."""
    try:
        allowed = os.sched_getaffinity(0)
    except AttributeError:
        allowed = set(range(os.cpu_count() or 1))
    try:
        cores: set[tuple[str | None, str | None]] = set()
        core: dict[str, str] = {}
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key, value = key.strip(), value.strip()
                if key in ("processor", "physical id", "core id"):
                    core[key] = value
                if not line.strip() and core:
                    if int(core.get("processor", -1)) in allowed:
                        cores.add((core.get("physical id"), core.get("core id", core.get("processor"))))
                    core = {}
        return max(1, len(cores)) if cores else max(1, len(allowed))
    except (OSError, ValueError):
        return max(1, len(allowed))


def _mps_available() -> bool:
    return bool(getattr(torch.backends, "mps", None)) and torch.backends.mps.is_available()


def available_devices() -> list[tuple[str, str]]:
    """(device, description) for each device this machine can train on."""
    out = []
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            out.append((f"cuda:{i}", f"GPU {i}: {torch.cuda.get_device_name(i)}"))
    if _mps_available():
        out.append(("mps", "Apple GPU (MPS)"))
    out.append(("cpu", f"CPU ({physical_cores()} cores)"))
    return out


def select_device(name: str = "auto") -> torch.device:
    """The device called `name` ("auto" prefers CUDA, then MPS, then the CPU), or a
    `ConvCanvasError` saying why this machine cannot train there and which devices it has."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    here = ", ".join(d for d, _ in available_devices())
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ConvCanvasError(f"unknown device {name!r}: use auto or one of {here}") from None
    if device.type not in ("cpu", "cuda", "mps"):
        raise ConvCanvasError(f"ConvCanvas cannot train on {name!r}: use auto or one of {here}")
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConvCanvasError(
            f"CUDA is not available here (torch {torch.__version__}): use auto or one of {here}"
        )
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise ConvCanvasError(
            f"there is no {name}: this machine has {torch.cuda.device_count()} GPU(s); "
            f"use auto or one of {here}"
        )
    if device.type == "mps" and not _mps_available():
        raise ConvCanvasError(f"Apple MPS is not available here: use auto or one of {here}")
    return device


def device_name(device: torch.device) -> str:
    """What a person calls `device`: the GPU's model, or the CPU with its thread count."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    if device.type == "mps":
        return "Apple GPU (MPS)"
    return f"CPU ({torch.get_num_threads()} threads)"


@dataclass(frozen=True)
class Precision:
    """How a run computes on its device: the autocast context of every forward pass and the
    memory layout of images and convolution weights."""

    autocast: AbstractContextManager[object]
    memory_format: torch.memory_format


def prepare_device(device: torch.device) -> Precision:
    """Set torch up for training on `device` and say how to compute there."""
    if device.type == "cpu":
        # hyper-threads share one core's vector units: more threads than cores only contend
        torch.set_num_threads(physical_cores())
    cuda = device.type == "cuda"
    if cuda:
        torch.backends.cudnn.benchmark = True  # fixed batch shapes: the autotuned kernels pay off
    autocast: AbstractContextManager[object] = (
        torch.autocast("cuda", dtype=torch.bfloat16)
        if cuda and torch.cuda.is_bf16_supported()
        else nullcontext()
    )
    return Precision(autocast, torch.channels_last if cuda else torch.contiguous_format)


def free_memory(device: torch.device) -> int | None:
    """Bytes free on `device` now, or None where this cannot be told (MPS, an odd system).
    For the CPU it is the memory the system can give without swapping."""
    if device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        return int(free)
    if device.type != "cpu":
        return None
    try:
        with open("/proc/meminfo") as f:  # Linux: MemAvailable counts reclaimable caches too
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # no sysconf (Windows), or no such name
        return None
