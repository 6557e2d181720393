from langchain_openai import ChatOpenAI

from agent.llm import build_chat_model
from agent.settings import Settings


def test_openai_roles_select_their_served_model_by_name(monkeypatch):
    monkeypatch.setenv("BANKASSIST_BACKEND", "openai")
    monkeypatch.setenv("BANKASSIST_OPENAI_SYNTHESIZER_MODEL", "meta-llama/Meta-Llama-3-8B-Instruct")
    monkeypatch.setenv("BANKASSIST_OPENAI_EXTRACTOR_MODEL", "credit-extractor")
    monkeypatch.setenv("BANKASSIST_REQUEST_TIMEOUT_S", "12")
    monkeypatch.setenv("BANKASSIST_MAX_RETRIES", "4")
    settings = Settings()
    synthesizer, extractor = build_chat_model("synthesizer", settings), build_chat_model("extractor", settings)
    assert isinstance(synthesizer, ChatOpenAI) and isinstance(extractor, ChatOpenAI)
    assert synthesizer.model_name == "meta-llama/Meta-Llama-3-8B-Instruct"
    assert extractor.model_name == "credit-extractor"
    assert extractor.request_timeout == 12 and extractor.max_retries == 4
    assert str(extractor.openai_api_base).startswith("http://127.0.0.1:8000/v1")


def test_local_roles_share_one_loader_and_only_the_extractor_uses_the_adapter(tmp_path, monkeypatch):
    monkeypatch.setenv("BANKASSIST_ADAPTER_PATH", str(tmp_path))
    settings = Settings()
    synthesizer, extractor = build_chat_model("synthesizer", settings), build_chat_model("extractor", settings)
    assert synthesizer.runtime_loader.args == extractor.runtime_loader.args  # same cached runtime
    assert not synthesizer.use_adapter and extractor.use_adapter


def test_without_an_adapter_the_extractor_is_the_base(isolated_settings):
    assert not build_chat_model("extractor", isolated_settings).use_adapter
