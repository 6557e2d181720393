"""The graph on LangGraph's own server: the factory `langgraph.json` names, and the auth hook."""
