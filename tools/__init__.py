"""Deterministic domain code the agent's nodes call: PII masking, credit reports, their diff and plan."""
