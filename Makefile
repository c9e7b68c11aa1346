# citeqa: `make run` and `make test` are all a fresh machine needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
LOCK   := requirements.lock
TOOLS  := .venv-tools/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
export HOST PORT
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install run serve index test eval bench swap-bench soak clean chromium wrk apertium lock audit

## install: create .venv with the locked dependencies (hash-checked; torch is the CPU build) and citeqa (editable)
install: apertium $(STAMP)

$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

## lock: resolve requirements.lock again from pyproject.toml (pip-tools, with hashes); commit it
lock: $(TOOLS)/pip-compile
	$(TOOLS)/pip-compile --quiet --generate-hashes --allow-unsafe --extra test --strip-extras \
		--no-emit-index-url --no-emit-find-links -o $(LOCK) pyproject.toml

## audit: known vulnerabilities of the locked dependencies (pip-audit); fails when it cannot check them all
audit: $(TOOLS)/pip-audit
	$(TOOLS)/pip-audit --strict --disable-pip --progress-spinner off -r $(LOCK)

$(TOOLS)/pip-compile $(TOOLS)/pip-audit:
	$(PYTHON) -m venv .venv-tools
	$(TOOLS)/pip install --quiet pip-tools==7.6.2 pip-audit==2.10.1

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

## apertium: Debian's Apertium with the English-Spanish and French-Spanish pairs, for translating questions (optional:
## without it citeqa searches questions as they are asked, and /health says so)
apertium:
	command -v apertium >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends apertium lttoolbox apertium-lex-tools apertium-eng-spa apertium-fr-es) \
		|| echo "make: Apertium could not be installed (apt-get needs root): citeqa runs without machine translation"

## wrk: Debian's HTTP load generator, for `citeqa bench` and its test
wrk:
	command -v wrk >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends wrk)

## test: the whole test suite (real model, real index, real HTTP app, real browser)
test: install chromium wrk
	$(BIN)/python -m pytest

## eval: score the answers on eval/questions.jsonl
eval: install
	$(BIN)/citeqa eval

clean:
	rm -rf var .pytest_cache test-output .venv-tools

## bench: embedding, build, search stages, HTTP at 1/8/32 clients (wrk) and memory, printed (PERFORMANCE.md)
bench: install wrk
	$(BIN)/citeqa bench

## swap-bench: a live server searched by 3 threads while a 62-page PDF is added and removed, printed
swap-bench: install
	$(BIN)/python -m eval.live_swap $(PDF)

## soak: 16 clients mixing questions and bad requests while a report is added and removed, printed
soak: install
	$(BIN)/python -m eval.soak --minutes $(or $(MINUTES),10)
