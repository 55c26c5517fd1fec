"""The workloads behind `ahdr bench drdb|model` and the GPU script: fused Triton
versus eager PyTorch and torch.compile, timed in one run.

Every implementation of a workload gets the same weights and inputs, and its output
is checked against a float64 eager run of them (the max-error column; float32 with TF32
off above REFERENCE_FP64_PIXELS, where float64 activations of the network run to tens of
GB at 4K). The FLOP and byte floors come from a matmul rate and a copy bandwidth
measured in the same run. An implementation that cannot run here becomes a row with
the reason, never a made-up time.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable

import torch
from ahdr_kernels.bench_table import BenchRow
from ahdr_kernels.drdb import PackedDRDB, Workspace, drdb_forward_triton, interior, pack_drdb
from ahdr_kernels.environment import device_name
from ahdr_kernels.launch import INTERPRETING, TileConfig, last_layer_config, layer_config
from ahdr_kernels.reference import Layers, drdb_reference, random_drdb_weights
from ahdr_kernels.support import triton_available
from ahdr_kernels.timing import MachineRates, Workload, measure_rates, median_ms, peak_memory_mib
from torch import Tensor, nn
from torch.nn import functional as F

BENCH_IMPLS = (
    "eager",
    "eager-channels-last",
    "eager-cudnn-benchmark",
    "compile",
    "compile-cudagraphs",
    "triton",
)
COMPILE_MODES = {"compile": "max-autotune-no-cudagraphs", "compile-cudagraphs": "max-autotune"}
DRDB_MACS_PER_PIXEL = 9 * 32 * sum(64 + 32 * k for k in range(6)) + 256 * 64
AHDRNET_MACS_PER_PIXEL = 1_446_720  # DESIGN.md section 3

Build = Callable[[], Workload]
REFERENCE_FP64_PIXELS = 2**21  # 1500x1000 fits; 3840x2160 gets a float32 reference


def reference_dtype(size: tuple[int, int]) -> torch.dtype:
    return torch.float64 if size[0] * size[1] <= REFERENCE_FP64_PIXELS else torch.float32


def check_impls(impls: tuple[str, ...] | list[str]) -> None:
    unknown = [impl for impl in impls if impl not in BENCH_IMPLS]
    if unknown:
        raise ValueError(
            f"unknown implementation {unknown[0]!r}; choose from {', '.join(BENCH_IMPLS)}"
        )


def skip_reason(impl: str, device: torch.device) -> str | None:
    """Why `impl` cannot be timed on `device`, or None when it can."""
    if impl.split()[0] == "triton":
        if not triton_available():
            return "triton is not installed"
        if INTERPRETING:
            return "TRITON_INTERPRET=1: the interpreter is not timed"
        if device.type != "cuda":
            return "the Triton kernels need CUDA"
    if impl == "compile-cudagraphs" and device.type != "cuda":
        return "CUDA graphs need CUDA"
    return None


def config_label(config: TileConfig) -> str:
    return (
        f"{config.block_h}x{config.block_w} w{config.num_warps} s{config.num_stages} "
        f"k{config.block_k}"
    )


def relative_error(out: object, ref: Tensor) -> float:
    assert isinstance(out, Tensor)
    return ((out.double() - ref).abs().max() / ref.abs().max()).item()


def with_cudnn_benchmark(fn: Workload) -> Workload:
    """fn with cuDNN's autotuner on while it runs (it picks kernels per shape)."""

    def run() -> object:
        with torch.backends.cudnn.flags(enabled=True, benchmark=True):
            return fn()

    return run


def run_workloads(
    name: str,
    size: tuple[int, int],
    dtype: torch.dtype,
    device: torch.device,
    builders: dict[str, Build],
    flops: float,
    floor_bytes: float,
    reference: Tensor,
    rates: MachineRates | None = None,
    on_row: Callable[[BenchRow], None] | None = None,
) -> list[BenchRow]:
    """Time each built workload and check its output against `reference`; `on_row`
    gets each row as soon as it is measured (the GPU script writes it out then).
    Speedups are against `eager`, which comes first when it is asked for."""
    rates = rates or measure_rates(dtype, device)
    common = dict(
        workload=name,
        height=size[0],
        width=size[1],
        dtype=str(dtype).removeprefix("torch."),
        device=device_name(device),
        flop_floor_ms=flops / (rates.matmul_tflops * 1e12) * 1e3,
        byte_floor_ms=floor_bytes / (rates.copy_gbps * 1e9) * 1e3,
        matmul_tflops=rates.matmul_tflops,
        copy_gbps=rates.copy_gbps,
        rates_idle=rates.idle,
    )
    rows: list[BenchRow] = []
    eager_ms = None
    for impl, build in builders.items():
        row = _measure(impl, build, device, reference, flops, rates, common)
        if impl == "eager":
            eager_ms = row.median_ms
        if eager_ms and row.median_ms:
            row = BenchRow(**{**vars(row), "speedup_vs_eager": eager_ms / row.median_ms})
        rows.append(row)
        if on_row is not None:
            on_row(row)
    return rows


def _measure(
    impl: str,
    build: Build,
    device: torch.device,
    reference: Tensor,
    flops: float,
    rates: MachineRates,
    common: dict,
) -> BenchRow:
    reason = skip_reason(impl, device)
    if reason is not None:
        return BenchRow(impl=impl, skipped=reason, **common)
    try:
        with torch.inference_mode():
            fn = build()
            error = relative_error(fn(), reference)
            elapsed = median_ms(fn, device)
            peak = peak_memory_mib(fn, device)
    except Exception as exc:  # one failing impl must not hide the others' results
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return BenchRow(impl=impl, skipped=f"failed: {type(exc).__name__}: {message}", **common)
    finally:
        if device.type == "cuda":
            torch.cuda.empty_cache()
    achieved = flops / (elapsed * 1e-3) / 1e12
    return BenchRow(
        impl=impl,
        median_ms=elapsed,
        tflops=achieved,
        percent_of_matmul=100 * achieved / rates.matmul_tflops if rates.idle else None,
        peak_memory_mib=peak,
        max_error=error,
        **common,
    )


def compiled(fn: Callable[..., Tensor], impl: str) -> Callable[..., Tensor]:
    """torch.compile with max-autotune, with or without CUDA graphs, from a clean cache."""
    torch._dynamo.reset()
    return torch.compile(fn, mode=COMPILE_MODES[impl])


def _on(device: torch.device, dtype: torch.dtype, layers: Layers, *tensors: Tensor):
    """Weights moved to device and dtype; 4-D ones channels-last."""

    def move(t: Tensor) -> Tensor:
        t = t.to(device, dtype)
        return t.contiguous(memory_format=torch.channels_last) if t.dim() == 4 else t

    return [(move(w), move(b)) for w, b in layers], *(move(t) for t in tensors)


def bench_drdb(
    size: tuple[int, int] = (1000, 1500),
    dtype: torch.dtype = torch.bfloat16,
    impls: tuple[str, ...] | list[str] = BENCH_IMPLS,
    device: torch.device | str = "cuda",
    configs: tuple[TileConfig, ...] = (TileConfig(),),
    seed: int = 0,
    rates: MachineRates | None = None,
    on_row: Callable[[BenchRow], None] | None = None,
) -> list[BenchRow]:
    """One DRDB (64 channels in and out, batch 1) at size (height, width), per impl.

    With more than one config, `triton` gives a row per config ("triton 8x32 w8 s3
    k64"), all on the same inputs, weights and reference.
    """
    check_impls(impls)
    device = torch.device(device)
    height, width = size
    layers, fuse_weight, fuse_bias = random_drdb_weights(torch.Generator().manual_seed(seed))
    x = torch.randn(1, 64, height, width, generator=torch.Generator().manual_seed(seed + 1))
    x = x.to(device, dtype)
    x_last = x.contiguous(memory_format=torch.channels_last)
    args = _on(device, dtype, layers, fuse_weight, fuse_bias)
    exact = reference_dtype(size)
    with torch.backends.cudnn.flags(enabled=True, allow_tf32=False):
        reference = drdb_reference(x.to(exact), *_on(device, exact, *args))

    def compile_impl(impl: str) -> Build:
        def build() -> Workload:
            fn = compiled(drdb_reference, impl)
            return lambda: fn(x_last, *args)

        return build

    def fused(config: TileConfig) -> Build:
        def build() -> Workload:
            packed = pack_drdb(*args, dtype)
            workspace = Workspace()
            return lambda: drdb_forward_triton(x_last, packed, config=config, workspace=workspace)

        return build

    builders: dict[str, Build] = {
        "eager": lambda: lambda: drdb_reference(x, *args),
        "eager-channels-last": lambda: lambda: drdb_reference(x_last, *args),
        "eager-cudnn-benchmark": lambda: with_cudnn_benchmark(
            lambda: drdb_reference(x_last, *args)
        ),
        "compile": compile_impl("compile"),
        "compile-cudagraphs": compile_impl("compile-cudagraphs"),
    }
    if len(configs) == 1:
        builders["triton"] = fused(configs[0])
    else:
        builders |= {f"triton {config_label(c)}": fused(c) for c in configs}
    chosen = [name for name in builders if name.split()[0] in impls]
    bytes_per_value = torch.finfo(dtype).bits // 8
    weight_values = sum(w.numel() + b.numel() for w, b in layers) + fuse_weight.numel()
    return run_workloads(
        "drdb",
        size,
        dtype,
        device,
        {name: builders[name] for name in chosen},
        flops=2 * DRDB_MACS_PER_PIXEL * height * width,
        floor_bytes=bytes_per_value * (2 * 64 * height * width + weight_values),
        reference=reference,
        rates=rates,
        on_row=on_row,
    )


def bench_model(
    build_model: Callable[[str], nn.Module],
    make_inputs: Callable[[int, int], tuple[Tensor, ...]],
    size: tuple[int, int] = (1000, 1500),
    dtype: torch.dtype = torch.bfloat16,
    impls: tuple[str, ...] | list[str] = BENCH_IMPLS,
    device: torch.device | str = "cuda",
    macs_per_pixel: int = AHDRNET_MACS_PER_PIXEL,
    output_channels: int = 3,
    rates: MachineRates | None = None,
) -> list[BenchRow]:
    """The full network per impl, without importing it.

    build_model(drdb_impl) returns the network with its DRDBs on "eager" or
    "triton"; every impl gets the weights of the first one built, and the compile
    impls compile the eager network. make_inputs(height, width) returns the
    forward's positional arguments (float32, CPU), moved to `device` and `dtype` here.
    """
    check_impls(impls)
    device = torch.device(device)
    height, width = size
    inputs = tuple(t.to(device, dtype) for t in make_inputs(height, width))
    base = build_model("eager").eval()
    weights = {name: t.detach().clone() for name, t in base.state_dict().items()}

    def network(drdb_impl: str, memory_format: torch.memory_format) -> nn.Module:
        model = build_model(drdb_impl)
        model.load_state_dict(weights)
        return model.to(device, dtype).to(memory_format=memory_format).eval()

    def builder(impl: str) -> Build:
        def build() -> Workload:
            if impl == "eager":
                model = network("eager", torch.contiguous_format)
            else:
                model = network("triton" if impl == "triton" else "eager", torch.channels_last)
            fn = compiled(model, impl) if impl in COMPILE_MODES else model
            run = lambda: fn(*inputs)  # noqa: E731
            return with_cudnn_benchmark(run) if impl == "eager-cudnn-benchmark" else run

        return build

    exact = reference_dtype(size)
    with torch.inference_mode(), torch.backends.cudnn.flags(enabled=True, allow_tf32=False):
        reference = copy.deepcopy(base).to(device, exact)(*(t.to(exact) for t in inputs))
    weight_values = sum(p.numel() for p in base.parameters())
    bytes_per_value = torch.finfo(dtype).bits // 8
    input_values = sum(t.numel() for t in inputs)
    output_values = output_channels * height * width * inputs[0].shape[0]
    return run_workloads(
        "model",
        size,
        dtype,
        device,
        {impl: builder(impl) for impl in impls},
        flops=2 * macs_per_pixel * height * width * inputs[0].shape[0],
        floor_bytes=bytes_per_value * (input_values + output_values + weight_values),
        reference=reference,
        rates=rates,
    )


def _grown(x: Tensor, w: Tensor, b: Tensor) -> Tensor:
    return F.relu(F.conv2d(x, w, b, padding=2, dilation=2))


def _closing(x: Tensor, w: Tensor, b: Tensor, fw: Tensor, fb: Tensor) -> Tensor:
    """The last layer as eager runs it: conv + ReLU, concat, 1x1, residual."""
    return F.conv2d(torch.cat((x, _grown(x, w, b)), 1), fw, fb) + x[:, : fw.shape[0]]


def bench_layers(
    size: tuple[int, int] = (1000, 1500),
    dtype: torch.dtype = torch.bfloat16,
    device: torch.device | str = "cuda",
    config: TileConfig | None = None,
    seed: int = 0,
    rates: MachineRates | None = None,
) -> list[BenchRow]:
    """Each DRDB layer alone, cuDNN (channels-last; the last layer with its concat, 1x1
    and residual) against its Triton kernel, on the same weights and features."""
    device = torch.device(device)
    config = config or TileConfig()
    rates = rates or measure_rates(dtype, device)
    height, width = size
    layers, fuse_weight, fuse_bias = random_drdb_weights(torch.Generator().manual_seed(seed))
    args = _on(device, dtype, layers, fuse_weight, fuse_bias)
    args64 = _on(device, torch.float64, *args)
    packed = pack_drdb(*args, dtype)
    features = torch.randn(
        1, packed.buffer_channels, height, width, generator=torch.Generator().manual_seed(seed)
    )
    features = features.to(device, dtype).contiguous(memory_format=torch.channels_last)
    rows: list[BenchRow] = []
    for k in range(len(layers)):
        c_in = args[0][k][0].shape[1]
        last = k == len(layers) - 1
        x, weights, weights64 = features[:, :c_in], args[0][k], args64[0][k]
        if last:
            reference = _closing(x.double(), *weights64, *args64[1:])
            eager = functools.partial(_closing, x, *weights, *args[1:])
        else:
            reference = _grown(x.double(), *weights64)
            eager = functools.partial(_grown, x, *weights)
        rows += run_workloads(
            f"layer {k + 1}",
            size,
            dtype,
            device,
            {
                "eager-channels-last": lambda eager=eager: eager,
                "triton": lambda k=k: _triton_layer(packed, features, k, config),
            },
            flops=2 * (9 * c_in * 32 + (c_in + 32) * 64 * last) * height * width,
            floor_bytes=torch.finfo(dtype).bits // 8 * (c_in + 32 + 32 * last) * height * width,
            reference=reference,
            rates=rates,
        )
    return rows


def _triton_layer(packed: PackedDRDB, features: Tensor, k: int, config: TileConfig) -> Workload:
    """Layer k's kernel on a block buffer holding `features`; returns its output view."""
    from ahdr_kernels.drdb_last import drdb_last
    from ahdr_kernels.drdb_layer import drdb_layer

    (buf,) = Workspace().buffers(features[:, : packed.in_channels], packed, 1)
    interior(buf).copy_(features.permute(0, 2, 3, 1))
    weight, bias = packed.layer_weights[k], packed.layer_biases[k]
    if k < len(packed.layer_weights) - 1:
        c_in = weight.shape[0] // 9
        out = interior(buf)[..., c_in : c_in + 32].permute(0, 3, 1, 2)
        tile = layer_config(config, packed.dtype)
        return lambda: (drdb_layer(buf, weight, bias, tile), out)[1]
    out = torch.empty_like(features[:, : packed.in_channels])
    tile = last_layer_config(config, packed.dtype)
    fused = (packed.fuse_weight, packed.fuse_bias)
    return lambda: (drdb_last(buf, weight, bias, *fused, (out,), tile), out)[1]
