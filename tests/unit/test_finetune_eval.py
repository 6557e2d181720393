"""What `bankassist finetune` measures a new adapter with: the right suite, with the adapter on."""

from pathlib import Path

import finetune.run as run
from finetune.config import TrainConfig


class FakeRagSuite:
    def metrics(self):
        return {"rag_fact_accuracy": 0.5, "rag_closest_section_on_page": None}


def test_the_answerer_is_measured_by_the_rag_suite_writing_the_banking_answers(monkeypatch, tmp_path):
    seen = {}

    def fake_suite(settings, limit):
        seen.update(settings=settings, limit=limit)
        return FakeRagSuite()

    monkeypatch.setattr(run, "run_rag_suite", fake_suite)
    metrics = run.evaluate_answerer(TrainConfig(task="answerer"), tmp_path / "adapter", 40)
    assert metrics == {"rag_fact_accuracy": 0.5} and seen["limit"] == 40  # a metric with no value is left out
    settings = seen["settings"]
    assert settings.banking_answers == "generative" and settings.answerer_adapter == Path(tmp_path / "adapter")
