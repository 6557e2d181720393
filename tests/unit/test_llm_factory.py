import pytest
from langchain_openai import ChatOpenAI

from agent.audit import model_ids
from agent.dependencies import served_settings
from agent.runtime.backends import build_chat_model
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
    assert synthesizer.adapter is None and extractor.adapter == "extractor"


def test_with_use_adapter_off_the_extractor_is_the_base(monkeypatch):
    monkeypatch.setenv("BANKASSIST_USE_ADAPTER", "false")
    assert build_chat_model("extractor", Settings()).adapter is None


def test_the_shipped_adapter_is_the_default_only_for_the_default_base(tmp_path, monkeypatch):
    from agent.settings import PACKAGED_ADAPTER

    assert Settings().extractor_adapter == PACKAGED_ADAPTER and (PACKAGED_ADAPTER / "adapter_config.json").is_file()
    assert Settings(adapter_path=tmp_path).extractor_adapter == tmp_path
    assert Settings(base_model="/models/llama3").extractor_adapter is None
    assert Settings(use_adapter=False, adapter_path=tmp_path).extractor_adapter is None


def test_the_advisor_wears_its_adapter_on_the_shared_runtime_with_the_synthesizers_cap(tmp_path, monkeypatch):
    monkeypatch.setenv("BANKASSIST_ADAPTER_PATH", str(tmp_path / "extractor"))
    monkeypatch.setenv("BANKASSIST_ADVISOR_ADAPTER_PATH", str(tmp_path / "advisor"))
    settings = Settings()
    roles = {role: build_chat_model(role, settings) for role in ("synthesizer", "extractor", "advisor")}
    assert len({model.runtime_loader.args for model in roles.values()}) == 1  # one runtime, one copy of the base
    assert roles["synthesizer"].runtime_loader.args[1] == (
        ("extractor", tmp_path / "extractor"), ("advisor", tmp_path / "advisor")
    )  # fmt: skip
    assert {role: model.adapter for role, model in roles.items()} == {
        "synthesizer": None, "extractor": "extractor", "advisor": "advisor"
    }  # fmt: skip
    assert roles["advisor"].max_new_tokens == roles["synthesizer"].max_new_tokens == 160


@pytest.mark.parametrize("engine", ["ctranslate2", "transformers"])
def test_without_an_advisor_adapter_the_advisor_is_exactly_the_synthesizer(engine, tmp_path, monkeypatch):
    monkeypatch.setattr("agent.settings.PACKAGED_ADVISOR", tmp_path / "not-shipped")
    monkeypatch.setenv("BANKASSIST_LOCAL_ENGINE", engine)
    for settings in (Settings(), Settings(advisor_adapter_path=tmp_path, use_advisor=False)):
        advisor, synthesizer = build_chat_model("advisor", settings), build_chat_model("synthesizer", settings)
        assert advisor.adapter is None and advisor.max_new_tokens == synthesizer.max_new_tokens
        assert advisor.runtime_loader.func is synthesizer.runtime_loader.func
        assert advisor.runtime_loader.args == synthesizer.runtime_loader.args
        assert "advisor" not in dict(advisor.runtime_loader.args[1])


def test_the_shipped_advisor_is_the_default_only_for_the_default_base_when_it_is_there(tmp_path, monkeypatch):
    shipped = tmp_path / "smollm2-credit-advisor"
    monkeypatch.setattr("agent.settings.PACKAGED_ADVISOR", shipped)
    assert Settings().advisor_adapter is None  # not trained yet: the base phrases credit answers
    shipped.mkdir()
    (shipped / "adapter_config.json").write_text("{}")
    assert Settings().advisor_adapter == shipped
    assert Settings(base_model="/models/llama3").advisor_adapter is None
    assert Settings(use_advisor=False).advisor_adapter is None
    assert Settings(advisor_adapter_path=tmp_path).advisor_adapter == tmp_path
    monkeypatch.setenv("BANKASSIST_ADVISOR_ADAPTER_PATH", "")
    assert Settings().advisor_adapter_path is None


def test_the_audit_names_the_advisor(tmp_path):
    assert model_ids(Settings(advisor_adapter_path=tmp_path))["advisor_adapter"] == str(tmp_path)
    assert model_ids(Settings(use_advisor=False))["advisor_adapter"] is None
    served = Settings(backend="openai", openai_synthesizer_model="base", openai_advisor_model="credit-advisor")
    assert model_ids(served)["advisor"] == "credit-advisor"
    assert model_ids(served.model_copy(update={"use_advisor": False}))["advisor"] == "base"


def test_the_answerer_wears_its_adapter_on_the_shared_runtime_or_is_exactly_the_synthesizer(tmp_path, monkeypatch):
    monkeypatch.setenv("BANKASSIST_ANSWERER_ADAPTER_PATH", str(tmp_path / "answerer"))
    settings = Settings()
    answerer, synthesizer = build_chat_model("answerer", settings), build_chat_model("synthesizer", settings)
    assert answerer.adapter == "answerer" and answerer.runtime_loader.args == synthesizer.runtime_loader.args
    assert dict(synthesizer.runtime_loader.args[1])["answerer"] == tmp_path / "answerer"
    assert answerer.max_new_tokens == synthesizer.max_new_tokens == 160
    without = Settings(use_answerer=False)
    assert build_chat_model("answerer", without).adapter is None
    assert "answerer" not in dict(build_chat_model("synthesizer", without).runtime_loader.args[1])


def test_the_shipped_answerer_is_the_default_only_for_the_default_base_when_it_is_there(tmp_path, monkeypatch):
    shipped = tmp_path / "smollm2-banking-answerer"
    monkeypatch.setattr("agent.settings.PACKAGED_ANSWERER", shipped)
    assert Settings().answerer_adapter is None
    shipped.mkdir()
    (shipped / "adapter_config.json").write_text("{}")
    assert Settings().answerer_adapter == shipped
    assert Settings(base_model="/models/llama3").answerer_adapter is None
    assert Settings(use_answerer=False).answerer_adapter is None
    monkeypatch.setenv("BANKASSIST_ANSWERER_ADAPTER_PATH", "")
    assert Settings().answerer_adapter_path is None


def test_the_audit_and_the_served_settings_name_the_answerer(tmp_path):
    assert model_ids(Settings(answerer_adapter_path=tmp_path))["answerer_adapter"] == str(tmp_path)
    served = Settings(backend="openai", openai_synthesizer_model="base", openai_answerer_model="banking-answerer")
    assert model_ids(served)["answerer"] == "banking-answerer"
    assert model_ids(served.model_copy(update={"use_answerer": False}))["answerer"] == "base"
    extractor = build_chat_model("extractor", served)
    stand_in = build_chat_model("synthesizer", served)  # the server lacked the adapter: the base answered
    assert served_settings(served, extractor, None, stand_in).answerer_model_name == "base"


def test_the_extractor_gets_its_own_token_cap(isolated_settings):
    extractor = build_chat_model("extractor", isolated_settings)
    synthesizer = build_chat_model("synthesizer", isolated_settings)
    assert (extractor.max_new_tokens, synthesizer.max_new_tokens) == (320, 160)


def test_the_eval_baseline_needs_an_extractor_to_compare(monkeypatch):
    import pytest

    from agent.runtime.backends import build_base_extractor
    from tools.errors import ConfigurationError

    base = build_base_extractor(Settings())
    assert base.adapter is None and base.max_new_tokens == 320
    with pytest.raises(ConfigurationError, match="nothing to compare"):
        build_base_extractor(Settings(use_adapter=False))
    monkeypatch.setenv("BANKASSIST_BACKEND", "openai")
    with pytest.raises(ConfigurationError, match="EXTRACTOR_MODEL"):
        build_base_extractor(Settings())


def serve_model_list(names):
    """A loopback server whose GET /v1/models lists `names`, as vLLM's does; returns it (shut down by the caller)."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Models(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            body = json.dumps({"object": "list", "data": [{"id": name} for name in names]}).encode()
            self.send_response(200 if self.path == "/v1/models" else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Models)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.mark.parametrize(
    ("role", "served", "adapter", "task"),
    [
        ("extractor", ["bankassist-base"], "credit-extractor", "extracts credit facts"),
        ("advisor", ["bankassist-base", "credit-extractor"], "credit-advisor", "credit answers"),
    ],
)
def test_an_adapter_the_server_does_not_serve_falls_back_to_the_base_with_one_warning(
    caplog, role, served, adapter, task
):
    without, with_adapter = serve_model_list(served), serve_model_list([*served, adapter])
    try:
        for server, expected in ((without, "bankassist-base"), (with_adapter, adapter)):
            settings = Settings(
                backend="openai", openai_base_url=f"http://127.0.0.1:{server.server_port}/v1",
                openai_synthesizer_model="bankassist-base", openai_extractor_model="credit-extractor",
                openai_advisor_model="credit-advisor" if role == "advisor" else None,
            )  # fmt: skip
            caplog.clear()
            model = build_chat_model(role, settings)
            assert model.model_name == expected
            # The advisor writes prose (the answer's cap); the extractor lists facts (its own, larger cap).
            assert (model.max_tokens == settings.max_new_tokens) == (role == "advisor")
            extractor = model if role == "extractor" else build_chat_model("extractor", settings)
            advisor = model if role == "advisor" else None
            assert model_ids(served_settings(settings, extractor, advisor))[role] == expected  # the audit's name
            warned = [r.getMessage() for r in caplog.records if "does not serve" in r.getMessage()]
            assert len(warned) == (expected == "bankassist-base") and all(task in w for w in warned)
    finally:
        without.shutdown()
        with_adapter.shutdown()


def test_an_answerer_adapter_the_base_cannot_wear_falls_back_to_the_base_with_a_notice(tmp_path, caplog):
    from agent.dependencies import usable_answerer

    generative = {"banking_answers": "generative"}
    missing = Settings(answerer_adapter_path=tmp_path / "missing", **generative)
    settings, notices = usable_answerer(missing)
    assert settings.answerer_adapter is None and len(notices) == 1 and "\n" not in notices[0]
    assert "has no adapter_config.json" in notices[0] and "the base model writes banking answers" in notices[0]
    assert notices[0] in caplog.text
    other = tmp_path / "other"
    other.mkdir()
    (other / "adapter_config.json").write_text('{"r": 8, "base_model_name_or_path": "meta-llama/Llama-3.1-8B"}')
    settings, notices = usable_answerer(Settings(answerer_adapter_path=other, **generative))
    assert settings.answerer_adapter is None and "trained on 'meta-llama/Llama-3.1-8B'" in notices[0]
    assert usable_answerer(Settings(answerer_adapter_path=other))[1] == ()  # extractive: the answerer is unused
    fits = tmp_path / "fits"
    fits.mkdir()
    (fits / "adapter_config.json").write_text(f'{{"r": 8, "base_model_name_or_path": "{missing.base_model}"}}')
    assert usable_answerer(Settings(answerer_adapter_path=fits, **generative)) == (
        Settings(answerer_adapter_path=fits, **generative),
        (),
    )
