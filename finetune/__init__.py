"""LoRA fine-tuning of the credit fact extractor.

Not built yet: the credit issue adds the dataset builder, the training entry point and the
shipped adapter. Until then the extractor role is the base model (see agent/runtime/backends.py).
"""
