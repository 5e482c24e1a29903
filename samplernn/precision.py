"""What `--mixed_precision auto` means on this machine: bfloat16 where the CPU has bfloat16 units, else float32.

On CPUs with AMX or AVX512-BF16 units, TensorFlow's matmuls (oneDNN) run several times faster in bfloat16
(`bench/step_breakdown.py`), and the CPU preset trains more steps in the same minutes with held-out bits no
worse (BENCHMARKS.md). GPUs and other CPUs keep float32 unless a precision is asked for. Light: reads
/proc/cpuinfo, imports no TensorFlow.
"""

# /proc/cpuinfo flags of the units that compute bfloat16 matmuls natively.
BF16_CPU_FLAGS = ("amx_bf16", "avx512_bf16")


def cpu_bf16_units(cpuinfo="/proc/cpuinfo"):
    """The flags of `BF16_CPU_FLAGS` this CPU reports (none where there is no /proc/cpuinfo: not Linux)."""
    try:
        with open(cpuinfo) as f:
            flags = set()
            for line in f:
                if line.startswith("flags"):
                    flags.update(line.split(":", 1)[1].split())
    except OSError:
        return []
    return [flag for flag in BF16_CPU_FLAGS if flag in flags]


def resolve_precision(requested, gpus, units=None):
    """(the --mixed_precision to train in, why) for `requested` (auto resolves), `gpus` visible GPUs and the
    CPU's bfloat16 `units` (default: read from /proc/cpuinfo)."""
    if requested != "auto":
        return requested, "as --mixed_precision asks"
    if gpus:
        return "off", "--mixed_precision auto on a GPU: float32 (bf16 or fp16 to compute in 16 bits)"
    units = cpu_bf16_units() if units is None else units
    if units:
        return "bf16", (f"--mixed_precision auto on a CPU with bfloat16 units ({', '.join(units)}); "
                        "--mixed_precision off trains in float32")
    return "off", "--mixed_precision auto on a CPU without bfloat16 units: float32"


def describe_precision(precision, why):
    """The line train.py prints at start."""
    what = {"off": "float32", "bf16": "bfloat16 with float32 weights",
            "fp16": "float16 with float32 weights and a dynamic loss scale"}[precision]
    return f"Computing in {what}: {why}"
