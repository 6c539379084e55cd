"""qa.models.onnx_export: the int8 ONNX model is made once per machine and model, keyed by its weights."""

import os

import pytest

from qa.errors import QAError
from qa.models import onnx_export
from qa.models.embedding import model_dir


def _model(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(b"weights")
    (folder / "config.json").write_text("{}")
    return folder


def test_the_cache_key_changes_with_the_weights_and_not_otherwise(tmp_path):
    folder = _model(tmp_path)
    key = onnx_export.cache_key(folder)
    assert onnx_export.cache_key(folder) == key
    (folder / "model.safetensors").write_bytes(b"other weights")
    assert onnx_export.cache_key(folder) != key


def test_a_cached_model_is_used_without_exporting_again(tmp_path, monkeypatch):
    monkeypatch.setenv("QA_CACHE", str(tmp_path / "cache"))
    folder = _model(tmp_path)
    exports = []
    monkeypatch.setattr(onnx_export, "_export", lambda f, target: (exports.append(f), target.write_bytes(b"onnx")))
    first = onnx_export.ensure_onnx(folder)
    assert onnx_export.ensure_onnx(folder) == first and first.read_bytes() == b"onnx"
    assert len(exports) == 1


def test_an_unwritable_cache_says_which_variable_to_set(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("QA_CACHE", str(blocker))
    with pytest.raises(QAError, match="set QA_CACHE"):
        onnx_export.ensure_onnx(_model(tmp_path))


@pytest.mark.model
def test_the_bundled_model_exports_to_a_file_onnx_runtime_runs(tmp_path, monkeypatch):
    import onnxruntime

    monkeypatch.setenv("QA_CACHE", os.environ.get("QA_CACHE") or str(tmp_path))
    path = onnx_export.ensure_onnx(model_dir("all-MiniLM-L6-v2"))
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [o.name for o in session.get_outputs()] == ["last_hidden_state"]
