"""The eval report's head, plots and HTML page (the suites' own numbers are tested with the suites)."""

import base64
import re

from evals.charts import Chart, metric_charts, render_png
from evals.report_html import corpus_hash, headline_markdown, provenance, render_html

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_headline_shows_each_measured_metric_against_its_target():
    metrics = {"scope_oos_recall": 0.921, "extractor_f1": 0.999, "other": 1.0}
    markdown = headline_markdown(metrics, {"git commit": "abc"})
    assert "| 0.921 | ≥ 0.95 | **below target** |" in markdown
    assert "| 0.999 | ≥ 0.95 | met |" in markdown
    assert "in-scope recall" not in markdown  # not measured in this run, so not shown
    assert "- git commit: abc" in markdown


def test_provenance_names_models_corpus_hash_and_commit(isolated_settings):
    facts = provenance(isolated_settings)
    assert re.fullmatch(r"[0-9a-f]{12}( \(with uncommitted changes\))?", facts["git commit"])
    assert facts["corpus"].endswith(corpus_hash(isolated_settings.corpus_dir)[:16])
    assert facts["base model"] == isolated_settings.base_model and facts["embedding model"]
    assert facts["banking answers"] == "extractive (the selector quotes the policy)"
    written = isolated_settings.model_copy(update={"banking_answers": "generative", "use_answerer": False})
    assert provenance(written)["banking answers"] == "generative: the base model"
    adapted = written.model_copy(update={"use_answerer": True, "answerer_adapter_path": isolated_settings.data_dir})
    assert provenance(adapted)["banking answers"] == f"generative: the banking-answerer adapter ({adapted.data_dir})"


def test_corpus_hash_changes_with_any_edit(tmp_path):
    (tmp_path / "a.md").write_text("Wires cost $25.")
    before = corpus_hash(tmp_path)
    (tmp_path / "a.md").write_text("Wires cost $26.")
    assert corpus_hash(tmp_path) != before


def test_category_bars_come_from_the_flat_metrics():
    metrics = {
        "recall_at_5": 0.97,
        "recall_at_5_direct": 1.0,
        "recall_at_5_multi": 0.9,
        "attack_success_rate_roleplay": 0.1,
        "attack_success_rate_before_output_checks": 0.2,
        "scope_clinc150_val_route_accuracy": 0.9,
        "scope_clinc150_val_banking_recall": 0.95,
        "scope_clinc150_val_out_of_scope_recall": 0.92,
    }
    charts = {chart.title: chart for chart in metric_charts(metrics)}
    assert charts["Retrieval recall@5 by question kind"].labels == ["direct", "multi"]
    assert charts["Attack success rate by category (lower is better)"].labels == ["roleplay"]
    assert charts["Scope recall per route: clinc150_val"].labels == ["banking", "out_of_scope"]


def test_every_chart_kind_renders_a_png():
    charts = [
        Chart("bars", "bars", ["a", "b"], values=[[0.5], [1.0]], target=0.9),
        Chart("heat", "heatmap", ["x", "y"], ["p", "q"], [[3, 1], [0, 5]]),
        Chart("hist", "histogram", ["rouge"], values=[[0.1, 0.4, 0.9]]),
    ]
    assert all(render_png(chart).startswith(PNG_MAGIC) for chart in charts)


def test_the_html_page_is_self_contained_with_its_plots_inline():
    markdown = "# Eval report\n\n| a | b |\n| --- | --- |\n| 1 | <script> |\n"
    page = render_html(markdown, [Chart("h", "bars", ["a"], values=[[1.0]])])
    assert "<table>" in page and "<script>" not in page  # Markdown tables render; raw HTML is escaped
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == 1 and base64.b64decode(images[0]).startswith(PNG_MAGIC)
    assert "http://" not in page and "https://" not in page  # nothing to fetch: it opens offline


def test_scope_set_lists_its_most_confident_misroutes_first():
    from agent.scope.guard import ScopeDecision
    from evals.scope import evaluate_set
    from tools.datasets import LabeledQuery

    class Guard:
        def classify_in_batches(self, texts):
            return [ScopeDecision("banking", 0.6), ScopeDecision("out_of_scope", 0.9), ScopeDecision("banking", 0.99)]

    queries = [LabeledQuery("fee?", "banking", "x"), LabeledQuery("pay me", "banking", "x")]
    queries.append(LabeledQuery("sing a song", "out_of_scope", "x"))
    result = evaluate_set("s", Guard(), queries)
    assert [(m.text, m.decided) for m in result.worst] == [("sing a song", "banking"), ("pay me", "out_of_scope")]
    assert result.confusion["banking"]["banking"] == 1
