from pathlib import Path

import pytest
from pydantic import ValidationError

from agent.settings import DEFAULT_BASE_MODEL, Settings, get_settings


def test_defaults_run_offline_on_the_packaged_models(isolated_settings):
    settings = isolated_settings
    assert settings.backend == "local"
    assert settings.base_model == DEFAULT_BASE_MODEL
    assert settings.adapter_path is None
    assert settings.vector_store == "local"


def test_paths_derive_from_the_data_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("BANKASSIST_MODEL_CACHE_DIR")
    monkeypatch.setenv("BANKASSIST_DATA_DIR", str(tmp_path / "d"))
    settings = Settings()
    assert settings.model_cache_dir == tmp_path / "d" / "models"
    assert settings.database_url == f"sqlite:///{tmp_path / 'd' / 'bankassist.db'}"
    assert settings.checkpoint_url == f"sqlite:///{tmp_path / 'd' / 'checkpoints.db'}"


def test_env_prefix_and_dotenv_file_are_read(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("BANKASSIST_BACKEND=openai\nBANKASSIST_RETRIEVAL_TOP_K=5\n")
    monkeypatch.setenv("BANKASSIST_OPENAI_BASE_URL", "http://10.0.0.5:9000/v1")
    settings = Settings()
    assert settings.backend == "openai"
    assert settings.retrieval_top_k == 5
    assert str(settings.openai_base_url) == "http://10.0.0.5:9000/v1"


def test_getter_is_cached_until_cleared(monkeypatch):
    first = get_settings()
    monkeypatch.setenv("BANKASSIST_RETRIEVAL_TOP_K", "7")
    assert get_settings() is first
    get_settings.cache_clear()
    assert get_settings().retrieval_top_k == 7


@pytest.mark.parametrize(
    ("name", "value"), [("BACKEND", "llamacpp"), ("RETRIEVAL_TOP_K", "0"), ("OPENAI_BASE_URL", "nope")]
)
def test_invalid_values_are_refused(monkeypatch, name, value):
    monkeypatch.setenv(f"BANKASSIST_{name}", value)
    with pytest.raises(ValidationError):
        Settings()


def test_served_model_names_fall_back_to_the_base(monkeypatch):
    monkeypatch.setenv("BANKASSIST_OPENAI_SYNTHESIZER_MODEL", "meta-llama/Meta-Llama-3-8B-Instruct")
    settings = Settings()
    assert settings.synthesizer_model_name == "meta-llama/Meta-Llama-3-8B-Instruct"
    assert settings.extractor_model_name == "meta-llama/Meta-Llama-3-8B-Instruct"
    monkeypatch.setenv("BANKASSIST_OPENAI_EXTRACTOR_MODEL", "credit-extractor")
    assert Settings().extractor_model_name == "credit-extractor"


def test_external_data_defaults_to_shared_data_when_present(isolated_settings):
    shared = Path(__file__).resolve().parents[2].parent / "shared" / "data"
    expected = shared.resolve() if shared.is_dir() else None
    assert isolated_settings.external_data_dir == expected


def test_readme_documents_every_setting():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    missing = [name for name in Settings.model_fields if f"BANKASSIST_{name.upper()}" not in readme]
    assert not missing, f"README configuration table lacks {missing}"
