"""The peak float32 rate: its factors from CPU flags and clock, and the FMA-loop count."""

from __future__ import annotations

import shutil
import unittest

import tensorflow as tf

from tfcnn.bench.peak import (
    clock_ghz,
    fp32_peak,
    measure_fma_rate,
    vector_bits,
)
from tfcnn.results import cpu_flags

CPUINFO = """processor\t: 0
model name\t: Some CPU
cpu MHz\t\t: 2400.000
flags\t\t: fpu sse sse2 avx fma avx2 avx512f avx512bw amx_bf16
"""


class FactorsTest(tf.test.TestCase):
    def test_flags_and_width(self):
        flags = cpu_flags(CPUINFO)
        self.assertIn("avx512f", flags)
        self.assertEqual(vector_bits(flags), 512)
        self.assertEqual(vector_bits({"avx", "avx2", "fma"}), 256)
        self.assertEqual(vector_bits({"avx"}), 0)  # AVX without FMA
        self.assertEqual(cpu_flags("no flags here"), set())

    def test_clock_from_cpuinfo(self):
        ghz, source = clock_ghz(CPUINFO)
        self.assertAllClose(ghz, 2.4)
        self.assertIn("cpu MHz", source)
        with self.assertRaisesRegex(ValueError, "cpu MHz"):
            clock_ghz("processor : 0")

    def test_peak_is_the_product_of_its_factors(self):
        peak = fp32_peak(measure=False, cores=3)
        self.assertEqual(peak["fma_units"], 2)
        self.assertEqual(peak["lanes"], peak["vector_bits"] // 32)
        self.assertAllClose(
            peak["peak_flops_per_second"],
            3 * 2 * peak["lanes"] * 2 * peak["clock_ghz"] * 1e9,
        )
        self.assertIn(
            f"{peak['peak_flops_per_second'] / 1e9:.0f} GFLOP/s", peak["formula"]
        )
        # Without a measurement the peak runs at the nominal clock.
        self.assertEqual(peak["clock_ghz"], peak["nominal_clock_ghz"])
        self.assertStartsWith(peak["clock_source"], "nominal")


@unittest.skipUnless(shutil.which("cc") or shutil.which("gcc"), "needs a C compiler")
class MeasuredTest(tf.test.TestCase):
    def test_fma_loop_runs_at_a_plausible_rate(self):
        measured = measure_fma_rate(iterations=2_000_000, repeats=2)
        if measured is None:
            self.skipTest("no AVX2/AVX-512 FMA on this CPU")
        nominal, _ = clock_ghz()
        # The running clock: between half and three times the nominal one
        # (power saving, turbo, a hypervisor's reported rate).
        self.assertBetween(measured["clock_hz"] / 1e9, 0.5 * nominal, 3 * nominal)
        # FLOPs per measured cycle: between one and four FMA units.
        per_cycle = measured["flops_per_second"] / measured["clock_hz"]
        lanes = measured["lanes"]
        self.assertBetween(per_cycle, 0.8 * 2 * lanes, 4.2 * 2 * lanes)


if __name__ == "__main__":
    tf.test.main()
