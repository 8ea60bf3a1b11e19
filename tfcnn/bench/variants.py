"""The framework settings benchmarked: PyTorch's plain loop and tfcnn's Keras path.

Each variant runs in its own worker process, because some settings
(`TF_ENABLE_ONEDNN_OPTS`, thread pools) must be fixed before the framework
starts. "keras" is tfcnn exactly as the experiments train (`compile_classifier`
with 10 steps per execution, a shuffled `tf.data` stream from
`make_dataset`); the others change one setting each, or two for the
combination "keras_xla_bf16". "keras_jax" is the same Keras path on Keras'
JAX backend (the `jax` extra), fed the same `tf.data` stream.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Variant:
    """One way to run a training step.

    Attributes:
        name: a short identifier.
        framework: "keras" or "torch".
        description: what differs from the baseline, for tables.
        steps_per_execution: Keras batches per compiled call. Defaults to 10.
        jit_compile: compile the Keras step with XLA. Defaults to False.
        precision: "float32" or "mixed_bfloat16" (Keras' dtype policy; for
            PyTorch, `torch.autocast` to bfloat16). Defaults to "float32".
        onednn: TensorFlow's oneDNN kernels (`TF_ENABLE_ONEDNN_OPTS`).
            Defaults to True (TensorFlow's default on x86).
        intra_threads: threads inside one op; 0 = the framework's default
            (all cores). Defaults to 0.
        inter_threads: TensorFlow ops run at once; 0 = default. Defaults to 0.
        pipeline: "stream" (tfcnn's `make_dataset`: cached, reshuffled,
            batched, prefetched) or "prebatched" (batches cut once and cached,
            no reshuffling: the cheapest possible input). Defaults to "stream".
        deterministic: TensorFlow's op determinism, which `tfcnn.set_seed`
            turns on in every experiment. Defaults to True.
        accuracy_metric: compile with Keras' running training accuracy, as
            `compile_classifier` does (the experiments measure accuracy
            separately, with `IterationLogger`). Defaults to True.
        channels_last: PyTorch only: images and weights in (N, H, W, C)
            memory order, which oneDNN prefers. Defaults to False.
        torch_compile: PyTorch only: `torch.compile` the model (TorchInductor,
            which generates C++ code). Defaults to False.
        tf_data_autotune: Keras only: leave tf.data's autotuning on, its
            default, which tfcnn's pipelines turn off (`set_autotuning` in
            `tfcnn.data.pipeline`; each `fit` call can then end with an idle
            wait). Defaults to False.
        keras_backend: Keras only: the backend that runs the step,
            "tensorflow" or "jax" (which always compiles the step with XLA,
            so its variant sets `jit_compile`). Defaults to "tensorflow".
    """

    name: str
    framework: str
    description: str
    steps_per_execution: int = 10
    jit_compile: bool = False
    precision: str = "float32"
    onednn: bool = True
    intra_threads: int = 0
    inter_threads: int = 0
    pipeline: str = "stream"
    deterministic: bool = True
    accuracy_metric: bool = True
    channels_last: bool = False
    torch_compile: bool = False
    tf_data_autotune: bool = False
    keras_backend: str = "tensorflow"

    def __post_init__(self):
        if self.framework not in ("keras", "torch"):
            raise ValueError(
                f"framework must be 'keras' or 'torch', got {self.framework!r}."
            )
        if self.keras_backend not in ("tensorflow", "jax"):
            raise ValueError(
                f"keras_backend must be 'tensorflow' or 'jax', got {self.keras_backend!r}."
            )
        if self.precision not in ("float32", "mixed_bfloat16"):
            raise ValueError(
                f"precision must be 'float32' or 'mixed_bfloat16', got {self.precision!r}."
            )
        if self.pipeline not in ("stream", "prebatched"):
            raise ValueError(
                f"pipeline must be 'stream' or 'prebatched', got {self.pipeline!r}."
            )

    @property
    def same_numerics(self) -> bool:
        """True when the step computes the same float32 arithmetic as the baseline
        (up to rounding order), so the accuracy of a run cannot change."""
        return self.precision == "float32"

    def environment(self) -> dict[str, str]:
        """Environment variables the worker process needs."""
        env = {"TF_CPP_MIN_LOG_LEVEL": "2"}
        if self.framework == "keras":
            env["TF_ENABLE_ONEDNN_OPTS"] = "1" if self.onednn else "0"
            env["KERAS_BACKEND"] = self.keras_backend
        return env


BASELINE = "keras"
REFERENCE = "torch"

VARIANTS = {
    v.name: v
    for v in (
        Variant("torch", "torch", "PyTorch, eager, float32"),
        Variant("torch_bf16", "torch", "PyTorch, autocast bfloat16", precision="mixed_bfloat16"),
        Variant("torch_channels_last", "torch", "PyTorch, channels-last memory", channels_last=True),
        Variant("torch_compile", "torch", "PyTorch, torch.compile", torch_compile=True),
        Variant("keras", "keras", "tfcnn as the experiments run"),
        Variant("keras_spe1", "keras", "1 step per execution", steps_per_execution=1),
        Variant("keras_spe100", "keras", "100 steps per execution", steps_per_execution=100),
        Variant("keras_xla", "keras", "XLA (jit_compile=True)", jit_compile=True),
        Variant("keras_no_onednn", "keras", "oneDNN off", onednn=False),
        Variant("keras_inter1", "keras", "1 inter-op thread", inter_threads=1),
        Variant("keras_intra1", "keras", "1 intra-op thread", intra_threads=1),
        Variant("keras_nondeterministic", "keras", "op determinism off", deterministic=False),
        Variant("keras_no_metric", "keras", "no running accuracy metric", accuracy_metric=False),
        Variant("keras_prebatched", "keras", "pre-batched input, no reshuffle", pipeline="prebatched"),
        Variant("keras_autotune", "keras", "tf.data autotuning on", tf_data_autotune=True),
        Variant("keras_bf16", "keras", "mixed_bfloat16", precision="mixed_bfloat16"),
        Variant(
            "keras_xla_bf16", "keras", "XLA + mixed_bfloat16", jit_compile=True,
            precision="mixed_bfloat16",
        ),
        Variant(
            "keras_jax", "keras", "Keras on the JAX backend (XLA)", jit_compile=True,
            keras_backend="jax",
        ),
    )
}  # fmt: skip


def get_variants(names) -> list[Variant]:
    """The variants called `names`, in that order (ValueError lists the names)."""
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        raise ValueError(f"Unknown variants {unknown}; choose from {list(VARIANTS)}.")
    return [VARIANTS[n] for n in names]
