# Two commands on a fresh machine: `make demo` and `make test`. Both create .venv and install into it.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
ARTIFACTS ?= artifacts

.PHONY: demo test install install-test node bench-suite bench-remedies clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamp files: re-install only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# The pinned npm packages (package.json + package-lock.json): the browser runtimes the web bundle copies in
# (onnxruntime-web, LiteRT.js) and the Kotlin compiler the JVM tests use. `npm ci` installs exactly the lock.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

node: node_modules/.installed

# The main job end to end on the vendored MNIST: train v1-v3, export every format, bench them all.
demo: install node
	$(BIN)/edgedigits models
	$(BIN)/edgedigits train all --artifacts-dir $(ARTIFACTS)
	$(BIN)/edgedigits export all --formats all --artifacts-dir $(ARTIFACTS)
	-$(BIN)/edgedigits bench $(ARTIFACTS) --report-dir $(ARTIFACTS)/report
	@echo
	@echo "Artifacts, manifests and reports are in $(ARTIFACTS)/"

test: install-test node
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) $(ARTIFACTS)/v1 $(ARTIFACTS)/v2 $(ARTIFACTS)/v3 $(ARTIFACTS)/report

# The performance suite (issue 5): needs the artifacts of `make demo`; prints Markdown tables, ~10 min.
bench-suite: install
	$(BIN)/python benchmarks/run.py --artifacts $(ARTIFACTS)

# The int8 remedies benchmark (issue 18): every recipe on v1-v3 (from `make demo`) and four int8-hostile models
# trained on the spot; one trade table per model and what `export --int8` (auto) writes; ~10 min on 2 cores.
bench-remedies: install
	$(BIN)/python benchmarks/remedies.py --artifacts $(ARTIFACTS)
