"""Export a sentence-transformers model to ONNX with int8 weights, once, from its local files.

The export needs torch and transformers (they come with sentence-transformers); running the result needs only
onnxruntime. Nothing is downloaded: the weights are those of the model folder. The result is cached under
``$QA_CACHE`` (default ``~/.cache/qa``), keyed by the model folder and its weight files, so it is made once per
machine and model and shared by every index.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from ..config import cache_root
from ..errors import QAError

#: Bump when the export or quantisation recipe changes: old cached files are then not used.
RECIPE = "onnx-opset17-int8-matmul-per-channel-v1"
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


def cache_key(folder: Path) -> str:
    """Changes when the model folder, its weights or the recipe do (cheap: sizes and times, no hashing)."""
    parts = [RECIPE, str(folder.resolve())]
    for name in (*WEIGHT_FILES, "config.json", "tokenizer.json"):
        f = folder / name
        if f.exists():
            st = f.stat()
            parts.append(f"{name}:{st.st_size}:{st.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def ensure_onnx(folder: Path) -> Path:
    """The int8 ONNX file of the model in ``folder``, exporting it first if the cache lacks it."""
    target_dir = cache_root() / "onnx" / f"{folder.name}-{cache_key(folder)}"
    target = target_dir / "model-int8.onnx"
    if target.exists():
        return target
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
        with open(target_dir / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # two processes starting at once export once
            if not target.exists():
                _export(folder, target)
    except OSError as e:
        raise QAError(f"cannot write the ONNX model cache in {target_dir} ({e.strerror or e}); "
                      f"set QA_CACHE to a writable folder") from None
    return target


def _export(folder: Path, target: Path) -> None:
    import logging

    # The quantiser logs through the root logger (its advice to pre-process is not for us), and logging.warning()
    # installs a handler there that would then print every library's debug records: both are undone afterwards.
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    root.setLevel(logging.ERROR)
    try:
        _export_quietly(folder, target)
    finally:
        root.setLevel(level)
        for handler in [h for h in root.handlers if h not in handlers]:
            root.removeHandler(handler)


def _export_quietly(folder: Path, target: Path) -> None:
    import inspect
    import warnings

    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    try:  # plain attention exports to portable ONNX ops; the fused kernels trace into shape-specific code
        model = AutoModel.from_pretrained(str(folder), attn_implementation="eager", local_files_only=True).eval()
    except (TypeError, ValueError):
        model = AutoModel.from_pretrained(str(folder), local_files_only=True).eval()
    tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids")
             if n in inspect.signature(model.forward).parameters]
    sample = tokenizer(["an example sentence", "two"], return_tensors="pt", padding=True)

    class Encoder(torch.nn.Module):  # keyword arguments: positional order differs between models
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, *args):
            return self.inner(**dict(zip(names, args))).last_hidden_state

    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        fp32 = Path(tmp) / "model-fp32.onnx"
        int8 = Path(tmp) / target.name
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer notes about Python branches a fixed-size model never takes
            torch.onnx.export(
                Encoder(model), tuple(sample[n] if n in sample else torch.zeros_like(sample["input_ids"])
                                      for n in names),
                str(fp32), input_names=names, output_names=["last_hidden_state"],
                dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]},
                opset_version=17, dynamo=False,
            )
        # int8 weights, one scale per output channel, on the matrix multiplications only: per-tensor scales or
        # quantising every op lost more (mean cosine to fp32 0.95 and 0.91 on seeds passages, against 0.994).
        quantize_dynamic(str(fp32), str(int8), per_channel=True, op_types_to_quantize=["MatMul"],
                         weight_type=QuantType.QInt8)
        (Path(tmp) / "recipe.json").write_text(json.dumps({"recipe": RECIPE, "model": str(folder),
                                                           "torch": torch.__version__}))
        shutil.move(str(Path(tmp) / "recipe.json"), str(target.parent / "recipe.json"))
        os.replace(int8, target)  # readers see the whole file or none
