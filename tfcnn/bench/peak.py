"""The CPU's peak float32 rate: derived from its vector width, FMA units and clock.

One fused multiply-add (FMA) instruction on a vector of `lanes` float32 values
does `2 * lanes` floating-point operations. A core with `units` FMA units
issues `units` of them per cycle, so

    peak = cores * units * lanes * 2 * clock.

The vector width comes from the CPU flags (`avx512f`: 512 bits = 16 float32
lanes; `avx2` with `fma`: 256 bits = 8 lanes). Neither the number of FMA units
nor the clock the core really runs at (turbo, or a hypervisor's reported rate,
differ from the nominal clock) is reported, so both are measured on one core,
in thread CPU time (which other processes do not inflate), by two loops of a
few lines of C compiled with the system's C compiler:

- a chain of dependent 64-bit integer multiplications runs one per 3 cycles
  on every x86 core since Intel's Nehalem and AMD's Zen (a chain of
  additions does not: newer Intel cores fold dependent additions of a
  constant at register renaming, several per cycle), so three times the
  multiplications per second is the running clock;
- a loop of independent FMA instructions runs `units` per cycle, so its
  FLOP/s divided by `2 * lanes * clock` is the number of FMA units.

Without a compiler, two units and the nominal clock are assumed (every AVX2 and
AVX-512 server core since 2013 has two, except some low-end AVX-512 parts that
have one).
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tfcnn.results import cpu_flags

ASSUMED_FMA_UNITS = 2

# Independent accumulator chains hide the FMA latency (4 cycles) on two ports.
_FMA_LOOP_C = r"""
#include <immintrin.h>
#include <time.h>
#if defined(__AVX512F__)
typedef __m512 vec;
#define LANES 16
#define SET1 _mm512_set1_ps
#define FMA _mm512_fmadd_ps
#define ADD _mm512_add_ps
#define STORE _mm512_storeu_ps
#else
typedef __m256 vec;
#define LANES 8
#define SET1 _mm256_set1_ps
#define FMA _mm256_fmadd_ps
#define ADD _mm256_add_ps
#define STORE _mm256_storeu_ps
#endif
#define CHAINS 12
#define MULS_PER_TRIP 100
#define IMUL_LATENCY 3
int fma_lanes(void) { return LANES; }
static double thread_seconds(struct timespec t0, struct timespec t1) {
  return (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec);
}
/* Each multiplication depends on the one before: one per IMUL_LATENCY cycles.
   Returns the cycles per second this implies. */
double dependent_multiply_cycles_per_second(long iterations) {
  long x = 3;
  struct timespec t0, t1;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
  for (long n = 0; n < iterations; n++) {
    __asm__ volatile(".rept 100\n\timul %0, %0\n\t.endr" : "+r"(x));
  }
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
  volatile long sink = x;
  (void)sink;
  return (double)IMUL_LATENCY * MULS_PER_TRIP * iterations / thread_seconds(t0, t1);
}
double fma_flops_per_second(long iterations) {
  vec acc[CHAINS], b = SET1(0.999999f), c = SET1(1e-7f);
  for (int i = 0; i < CHAINS; i++) acc[i] = SET1((float)i);
  struct timespec t0, t1;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
  for (long n = 0; n < iterations; n++) {
#pragma GCC unroll 12
    for (int i = 0; i < CHAINS; i++) acc[i] = FMA(acc[i], b, c);
  }
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
  vec sum = acc[0];
  for (int i = 1; i < CHAINS; i++) sum = ADD(sum, acc[i]);
  float out[LANES];
  STORE(out, sum);
  volatile float sink = out[0];
  (void)sink;
  return (double)CHAINS * LANES * 2 * iterations / thread_seconds(t0, t1);
}
"""


def vector_bits(flags: set[str]) -> int:
    """Width in bits of the widest float32 FMA vector the flags announce (0 if none)."""
    if "avx512f" in flags:
        return 512
    if "fma" in flags and "avx2" in flags:
        return 256
    return 0


def bf16_support(flags: set[str] | None = None) -> dict:
    """Which hardware bfloat16 arithmetic the CPU announces.

    `avx512_bf16` adds vector bfloat16 dot products, `amx_bf16` the AMX
    matrix units; with neither, bfloat16 values are widened to float32 to be
    multiplied (emulated), which adds work instead of saving it.

    Args:
        flags: the CPU's feature flags; None reads them (`cpu_flags()`).
            Defaults to None.

    Returns:
        `{"avx512_bf16": bool, "amx_bf16": bool, "native": bool}`.
    """
    flags = cpu_flags() if flags is None else flags
    found = {name: name in flags for name in ("avx512_bf16", "amx_bf16")}
    return {**found, "native": any(found.values())}


def clock_ghz(cpuinfo: str | None = None) -> tuple[float, str]:
    """The base clock in GHz and where it was read.

    The cpufreq base frequency when the kernel exposes it, else the first
    "cpu MHz" of /proc/cpuinfo (under a hypervisor: the time-stamp counter's rate).

    Args:
        cpuinfo: the text of /proc/cpuinfo; None reads the file. Defaults to None.
    """
    base = Path("/sys/devices/system/cpu/cpu0/cpufreq/base_frequency")
    if cpuinfo is None and base.exists():
        return int(base.read_text()) / 1e6, str(base)
    if cpuinfo is None:
        cpuinfo = Path("/proc/cpuinfo").read_text()
    for line in cpuinfo.splitlines():
        if line.startswith("cpu MHz"):
            return float(line.split(":", 1)[1]) / 1000, "/proc/cpuinfo 'cpu MHz'"
    raise ValueError("no 'cpu MHz' line in cpuinfo: pass the clock explicitly.")


def measure_fma_rate(iterations: int = 20_000_000, repeats: int = 3) -> dict | None:
    """float32 FLOP/s of one core running independent FMAs, and its running clock.

    Compiles `_FMA_LOOP_C` with the system C compiler (`cc`, `-O2
    -march=native`) and times, `repeats` times each in turn, the FMA loop and
    the chain of dependent multiplications; the fastest of each counts. Returns None
    when there is no compiler or the CPU has no AVX2/AVX-512 FMA.

    Args:
        iterations: loop trips per FMA timing (12 vector FMAs each; the
            chain of multiplications runs a tenth as many trips of 100).
            Defaults to 2e7.
        repeats: timings of each loop. Defaults to 3.

    Returns:
        `{"flops_per_second", "clock_hz", "lanes", "timings", "clock_timings"}`
        or None.
    """
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None or not vector_bits(cpu_flags()):
        return None
    with tempfile.TemporaryDirectory() as tmp:
        source, library = Path(tmp) / "fma.c", Path(tmp) / "fma.so"
        source.write_text(_FMA_LOOP_C)
        built = subprocess.run(
            [compiler, "-O2", "-march=native", "-shared", "-fPIC", str(source)]
            + ["-o", str(library)],
            capture_output=True,
            text=True,
        )
        if built.returncode:
            return None
        lib = ctypes.CDLL(str(library))
        for function in (
            lib.fma_flops_per_second,
            lib.dependent_multiply_cycles_per_second,
        ):
            function.restype = ctypes.c_double
            function.argtypes = [ctypes.c_long]
        timings, clock_timings = [], []
        for _ in range(repeats):
            clock_timings.append(
                lib.dependent_multiply_cycles_per_second(iterations // 10)
            )
            timings.append(lib.fma_flops_per_second(iterations))
        return {
            "flops_per_second": max(timings),
            "clock_hz": max(clock_timings),
            "clock_timings": clock_timings,
            "lanes": int(lib.fma_lanes()),
            "timings": timings,
        }


def fp32_peak(measure: bool = True, cores: int | None = None) -> dict:
    """The machine's float32 peak, with every factor of its derivation.

    Args:
        measure: time the loops of `measure_fma_rate` to measure the running
            clock and count the FMA units (else take the nominal clock and
            assume `ASSUMED_FMA_UNITS`). Defaults to True.
        cores: cores used; None counts the CPUs this process may run on.
            Defaults to None.

    Returns:
        A dict with `cores`, `vector_bits`, `lanes`, `clock_ghz` (the clock
        the peak uses) and `clock_source`, `nominal_clock_ghz` and
        `nominal_clock_source`, `fma_units`, `fma_units_source`, the measured
        per-core rate (`measured_core_flops_per_second` and
        `measured_flops_per_cycle`, None without a measurement),
        `flops_per_cycle_per_core`, `peak_flops_per_second` (and in GFLOP/s),
        `has_amx` and, when the CPU has AMX, its bf16 peak in GFLOP/s
        (`amx_bf16_peak_gflops_per_second`, 1,024 FLOPs per cycle and core),
        and `formula` (the derivation as text).
    """
    flags = cpu_flags()
    bits = vector_bits(flags)
    if not bits:
        raise RuntimeError("this CPU announces no AVX2/AVX-512 FMA: no peak derived.")
    lanes = bits // 32
    cores = cores or len(os.sched_getaffinity(0))
    nominal, nominal_source = clock_ghz()
    measured = measure_fma_rate() if measure else None
    if measured:
        clock = measured["clock_hz"] / 1e9
        clock_source = (
            "measured: a chain of dependent multiplications ran "
            f"{clock / 3:.2f} G multiplications per second on one core (one per 3 cycles)"
        )
        per_cycle = measured["flops_per_second"] / (clock * 1e9)
        units = max(1, round(per_cycle / (2 * lanes)))
        units_source = (
            f"measured: an FMA loop ran {per_cycle:.1f} FLOPs per cycle on one core "
            f"= {per_cycle / (2 * lanes):.2f} x (2 x {lanes} lanes)"
        )
    else:
        clock, clock_source = nominal, f"nominal, from {nominal_source}"
        per_cycle, units = None, ASSUMED_FMA_UNITS
        units_source = "assumed (no C compiler to measure it)"
    flops_per_cycle = units * lanes * 2
    peak = cores * flops_per_cycle * clock * 1e9
    has_amx = "amx_bf16" in flags
    return {
        "cores": cores,
        "vector_bits": bits,
        "lanes": lanes,
        "clock_ghz": clock,
        "clock_source": clock_source,
        "nominal_clock_ghz": nominal,
        "nominal_clock_source": nominal_source,
        "fma_units": units,
        "fma_units_source": units_source,
        "measured_core_flops_per_second": measured and measured["flops_per_second"],
        "measured_flops_per_cycle": per_cycle,
        "flops_per_cycle_per_core": flops_per_cycle,
        "peak_flops_per_second": peak,
        "peak_gflops_per_second": peak / 1e9,
        "has_amx": has_amx,
        "amx_bf16_peak_gflops_per_second": cores * 1024 * clock if has_amx else None,
        "formula": (
            f"{cores} cores x {units} FMA units x {lanes} lanes ({bits}-bit vectors "
            f"of float32) x 2 FLOPs per FMA x {clock:.2f} GHz = {peak / 1e9:.0f} GFLOP/s"
        ),
    }
