"""The scope guard: the decision rule, its feature extractors and its trained weights."""
