"""The suites' targets, set in one place: the suite reports and the report's headline both read them."""

from __future__ import annotations

TARGETS = {"in_scope_recall": 0.97, "oos_recall": 0.95, "banking_credit_accuracy": 0.95}
THROUGHPUT_TARGET = 500.0
CREDIT_TARGETS = {"f1": 0.95, "format_valid": 0.99, "answer_grounding": 0.98}
RETRIEVAL_TARGETS = {"recall_at_5": 0.95, "mrr": 0.0}
RAG_TARGETS = {"context_recall": 0.95, "numeric_grounding": 0.98}
