# citeqa: `make run` and `make test` are all a fresh machine needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000
export HOST PORT
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install run serve index test eval bench swap-bench soak clean chromium

## install: create .venv with the CPU build of torch and citeqa (editable) with its test tools
install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

## run: install, build the index if it is missing, serve on $(HOST):$(PORT)
run: install
	$(BIN)/citeqa build --if-missing
	$(BIN)/citeqa serve

## serve: serve the existing index
serve: install
	$(BIN)/citeqa serve

## index: rebuild the index from corpus/
index: install
	$(BIN)/citeqa build

## chromium: Debian's headless Chromium for the browser tests (never `playwright install`)
chromium:
	command -v chromium >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium)

## test: the whole test suite (real model, real index, real HTTP app, real browser)
test: install chromium
	$(BIN)/python -m pytest

## eval: score the answers on eval/questions.jsonl
eval: install
	$(BIN)/citeqa eval

clean:
	rm -rf var .pytest_cache test-output

## bench: build time, index size, query latency and memory, printed
bench: install
	$(BIN)/python -m eval.benchmark

## swap-bench: a live server searched by 3 threads while a 62-page PDF is added and removed, printed
swap-bench: install
	$(BIN)/python -m eval.live_swap $(PDF)

## soak: 16 clients mixing questions and bad requests while a report is added and removed, printed
soak: install
	$(BIN)/python -m eval.soak --minutes $(or $(MINUTES),10)
