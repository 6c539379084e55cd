"""qa.config: the settings every QA_* variable sets, read in one place, and where indexes live."""

import pytest
from helpers import SEEDS

from qa.config import Settings, default_index_dir, index_root, resolve_paths
from qa.errors import QAError


def test_variables_set_defaults_and_explicit_values_win(monkeypatch):
    monkeypatch.setenv("QA_MAX_TOKENS", "160")
    monkeypatch.setenv("QA_MAX_FILE_MB", "2.5")
    monkeypatch.setenv("QA_BACKEND", "sentence-transformers-fp32")
    settings = Settings.from_env(backend="onnx-int8")
    assert (settings.max_tokens, settings.max_file_mb, settings.backend) == (160, 2.5, "onnx-int8")


@pytest.mark.parametrize("var, value, message", [("QA_MAX_TOKENS", "many", "QA_MAX_TOKENS must be a whole number"),
                                                 ("QA_MAX_FILE_MB", "big", "QA_MAX_FILE_MB must be a number")])
def test_a_variable_that_is_not_a_number_is_a_clear_error(monkeypatch, var, value, message):
    monkeypatch.setenv(var, value)
    with pytest.raises(QAError, match=message):
        Settings.from_env()


def test_default_index_dirs_never_collide(tmp_path):
    one, two = tmp_path / "one" / "docs", tmp_path / "two" / "docs"
    assert default_index_dir(SEEDS) == index_root()
    assert default_index_dir(one) != default_index_dir(two)
    assert default_index_dir(one).parent == index_root() / "corpora"
    assert resolve_paths(one) == (one.resolve(), default_index_dir(one))
    assert resolve_paths(one, tmp_path / "x") == (one.resolve(), (tmp_path / "x").resolve())
