"""The real CTranslate2 conversion, killed half-way: the next start notices and converts again."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from langchain_core.messages import HumanMessage

from agent.runtime.backends import build_chat_model
from agent.runtime.engine_cache import STAGING_PREFIX, conversion_key, is_complete
from agent.settings import Settings

CONVERT = (
    "import sys; from pathlib import Path; from agent.runtime.engine_cache import converted_model; "
    "converted_model(Path(sys.argv[1]), None, 'int8', Path(sys.argv[2]))"
)


def kill_when_staging_has_files(process: subprocess.Popen, cache: Path, timeout: float = 120) -> None:
    """SIGKILL the converter once it has started writing into its staging folder."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if any(path.is_file() for staging in cache.glob(f"{STAGING_PREFIX}*") for path in staging.rglob("*")):
            process.send_signal(signal.SIGKILL)
            process.wait()
            return
        time.sleep(0.05)
    raise AssertionError("the conversion never started writing, or finished before it could be killed")


def test_a_conversion_killed_mid_way_is_redone_at_the_next_start(converted_model, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / converted_model.name).symlink_to(converted_model)  # the safetensors cache, not converted again
    converter = subprocess.Popen([sys.executable, "-c", CONVERT, str(converted_model), str(cache)])
    kill_when_staging_has_files(converter, cache)
    target = cache / conversion_key(converted_model, None, "int8")
    assert list(cache.glob(f"{STAGING_PREFIX}*")) and not is_complete(target)

    monkeypatch.setenv("BANKASSIST_MODEL_CACHE_DIR", str(cache))
    monkeypatch.setenv("BANKASSIST_USE_ADAPTER", "false")
    reply = build_chat_model("synthesizer", Settings()).invoke([HumanMessage("Say hello.")], max_completion_tokens=8)
    assert reply.text.strip()
    assert is_complete(target) and not list(cache.glob(f"{STAGING_PREFIX}*"))
