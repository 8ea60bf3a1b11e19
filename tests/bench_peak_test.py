"""The peak float32 rate: its factors from CPU flags and clock, and the FMA-loop count."""

from __future__ import annotations

import shutil
import unittest

import tensorflow as tf

from tfcnn.bench.peak import (
    clock_ghz,
    cpu_flags,
    fp32_peak,
    measure_fma_rate,
    vector_bits,
)

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


@unittest.skipUnless(shutil.which("cc") or shutil.which("gcc"), "needs a C compiler")
class MeasuredTest(tf.test.TestCase):
    def test_fma_loop_runs_at_a_plausible_rate(self):
        measured = measure_fma_rate(iterations=2_000_000, repeats=2)
        if measured is None:
            self.skipTest("no AVX2/AVX-512 FMA on this CPU")
        ghz, _ = clock_ghz()
        per_cycle = measured["flops_per_second"] / (ghz * 1e9)
        # At least one FMA unit at half the base clock, at most 4 units at
        # twice the base clock (turbo).
        lanes = measured["lanes"]
        self.assertGreater(per_cycle, 0.5 * 2 * lanes)
        self.assertLess(per_cycle, 2 * 4 * 2 * lanes)


if __name__ == "__main__":
    tf.test.main()
