"""The bankassist agent: a LangGraph state machine for one assistant turn."""
