"""The model runtime: chat-model backends, the in-process local model, model files and the vLLM command."""
