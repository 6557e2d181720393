import json
import shlex

import pytest

from agent.runtime.serving import (
    ADVISOR_MODULE,
    ANSWERER_MODULE,
    EXTRACTOR_MODULE,
    read_adapter,
    shell_line,
    vllm_command,
)
from agent.settings import Settings
from tools.errors import ConfigurationError

LLAMA = "meta-llama/Meta-Llama-3-8B-Instruct"


def adapter_dir(tmp_path, rank=16, base=LLAMA, name="credit-extractor"):
    folder = tmp_path / name
    folder.mkdir()
    (folder / "adapter_config.json").write_text(json.dumps({"r": rank, "base_model_name_or_path": base}))
    return folder


def test_the_command_serves_the_base_and_the_adapter_as_a_named_lora_module(tmp_path):
    settings = Settings(adapter_path=adapter_dir(tmp_path), vllm_max_lora_rank=32, vllm_port=9000)
    command = vllm_command(settings)
    assert command[:3] == ["vllm", "serve", LLAMA] and "--enable-lora" in command
    flags = {flag: value for flag, value in zip(command, command[1:], strict=False) if flag.startswith("--")}
    assert flags["--lora-modules"] == f"{EXTRACTOR_MODULE}={tmp_path / 'credit-extractor'}"
    assert flags["--max-lora-rank"] == "32" and flags["--served-model-name"] == "bankassist-base"
    assert flags["--port"] == "9000" and flags["--gpu-memory-utilization"] == "0.9"
    assert shlex.split(shell_line(command)) == command


def test_the_advisor_is_a_second_lora_module_in_the_same_flag(tmp_path):
    extractor, advisor = adapter_dir(tmp_path), adapter_dir(tmp_path, rank=32, name="credit-advisor")
    command = vllm_command(Settings(adapter_path=extractor, advisor_adapter_path=advisor))
    modules = command.index("--lora-modules")
    # vLLM keeps only the last --lora-modules it is given, so both modules follow one flag.
    assert command.count("--lora-modules") == 1 and command.count("--enable-lora") == 1
    assert command[modules + 1 : modules + 3] == [f"{EXTRACTOR_MODULE}={extractor}", f"{ADVISOR_MODULE}={advisor}"]
    assert command[command.index("--max-loras") + 1] == "2"  # one batch may mix both adapters
    alone = vllm_command(Settings(advisor_adapter_path=advisor))
    assert alone[alone.index("--lora-modules") + 1] == f"{ADVISOR_MODULE}={advisor}" and "--max-loras" not in alone
    assert "--max-loras" not in vllm_command(Settings(adapter_path=extractor))


def test_the_advisor_is_checked_like_the_extractor(tmp_path):
    extractor = adapter_dir(tmp_path)
    too_big = adapter_dir(tmp_path, rank=128, name="big-advisor")
    with pytest.raises(ConfigurationError, match=r"big-advisor: the adapter's LoRA rank is 128") as raised:
        vllm_command(Settings(adapter_path=extractor, advisor_adapter_path=too_big))
    assert "\n" not in str(raised.value)
    other_base = adapter_dir(tmp_path, base="HuggingFaceTB/SmolLM2-135M-Instruct", name="smol-advisor")
    with pytest.raises(ConfigurationError, match=r"smol-advisor: the adapter was trained on 'HuggingFaceTB"):
        vllm_command(Settings(adapter_path=extractor, advisor_adapter_path=other_base))
    with pytest.raises(ConfigurationError, match="no adapter_config.json"):
        vllm_command(Settings(advisor_adapter_path=tmp_path / "missing"))


def test_the_client_settings_name_the_advisor_when_it_is_served(tmp_path):
    from ui.cli_admin import _client_settings

    served = Settings(advisor_adapter_path=adapter_dir(tmp_path, name="credit-advisor"))
    assert f"BANKASSIST_OPENAI_ADVISOR_MODEL={ADVISOR_MODULE}" in _client_settings(served)
    assert "ADVISOR" not in _client_settings(Settings())


def test_the_banking_answerer_is_a_third_lora_module_and_named_to_the_client(tmp_path):
    from ui.cli_admin import _client_settings

    extractor, answerer = adapter_dir(tmp_path), adapter_dir(tmp_path, name="banking-answerer")
    settings = Settings(adapter_path=extractor, answerer_adapter_path=answerer)
    command = vllm_command(settings)
    modules = command.index("--lora-modules")
    assert command[modules + 1 : modules + 3] == [f"{EXTRACTOR_MODULE}={extractor}", f"{ANSWERER_MODULE}={answerer}"]
    assert f"BANKASSIST_OPENAI_ANSWERER_MODEL={ANSWERER_MODULE}" in _client_settings(settings)
    assert "ANSWERER" not in _client_settings(Settings())
    other_base = adapter_dir(tmp_path, base="HuggingFaceTB/SmolLM2-135M-Instruct", name="smol-answerer")
    with pytest.raises(ConfigurationError, match=r"smol-answerer: the adapter was trained on 'HuggingFaceTB"):
        vllm_command(Settings(answerer_adapter_path=other_base))


def test_without_an_adapter_there_are_no_lora_flags():
    assert "--enable-lora" not in vllm_command(Settings())


def test_a_tool_call_parser_lets_the_served_model_call_tools():
    command = vllm_command(Settings(vllm_tool_call_parser="llama3_json"))
    assert command[command.index("--tool-call-parser") + 1] == "llama3_json" and "--enable-auto-tool-choice" in command
    assert "--enable-auto-tool-choice" not in vllm_command(Settings())


def test_an_adapter_above_the_max_rank_is_refused(tmp_path):
    settings = Settings(adapter_path=adapter_dir(tmp_path, rank=128), vllm_max_lora_rank=64)
    with pytest.raises(ConfigurationError, match="rank is 128, above --max-lora-rank 64"):
        vllm_command(settings)


def test_an_adapter_for_another_base_model_is_refused(tmp_path):
    settings = Settings(adapter_path=adapter_dir(tmp_path, base="HuggingFaceTB/SmolLM2-135M-Instruct"))
    with pytest.raises(ConfigurationError, match="trained on 'HuggingFaceTB/SmolLM2-135M-Instruct'"):
        vllm_command(settings)


def test_a_directory_without_an_adapter_config_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigurationError, match="no adapter_config.json"):
        read_adapter(tmp_path)
    (tmp_path / "adapter_config.json").write_text("{not json")
    with pytest.raises(ConfigurationError, match="not a valid peft adapter config"):
        read_adapter(tmp_path)


def test_fp8_quantizes_the_base_at_load_and_keeps_the_adapter_check(tmp_path):
    settings = Settings(adapter_path=adapter_dir(tmp_path), vllm_quantization="fp8")
    command = vllm_command(settings)
    assert command[command.index("--quantization") + 1] == "fp8" and "--enable-lora" in command
    (tmp_path / "x").mkdir()
    mistral = adapter_dir(tmp_path / "x", base="mistralai/Mistral-7B-v0.1")
    other = Settings(adapter_path=mistral, vllm_quantization="fp8")
    with pytest.raises(ConfigurationError, match="trained on 'mistralai/Mistral-7B-v0.1'"):
        vllm_command(other)


def test_awq_needs_a_quantized_copy_of_the_adapters_base(tmp_path):
    adapter = adapter_dir(tmp_path)
    awq_copy = "TechxGenus/Meta-Llama-3-8B-Instruct-AWQ"
    command = vllm_command(Settings(adapter_path=adapter, vllm_quantization="awq", vllm_base_model=awq_copy))
    assert command[2] == awq_copy and command[command.index("--quantization") + 1] == "awq"
    for served in (LLAMA, "TheBloke/Mistral-7B-Instruct-v0.2-AWQ"):
        settings = Settings(adapter_path=adapter, vllm_quantization="awq", vllm_base_model=served)
        with pytest.raises(ConfigurationError, match="does not look like an AWQ copy"):
            vllm_command(settings)


def test_without_quantization_there_is_no_flag():
    assert "--quantization" not in vllm_command(Settings())
