"""Front ends, each a thin translation over `agent.service`: the `bankassist` CLI first."""
