# `make run` and `make test` each do the whole set-up first (venv + install).
PY ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SAMPLE := resources/sample/SC4001E0-PSG-first300s.edf

.PHONY: run test check typecheck bench bench-compare lint setup clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(VPY) || $(PY) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip
	# torch pinned to the CPU wheel this machine holds; elsewhere pip takes it from PyPI
	$(VPY) -m pip install -q "torch==2.13.0"
	$(VPY) -m pip install -q -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	@bash scripts/ensure_qt_runtime.sh
	$(VPY) main.py $(SAMPLE)

# `make test` = lint + types + the suite (what CI runs through .ci/run)
test: check

check: lint typecheck
	@bash scripts/ensure_qt_runtime.sh
	QT_QPA_PLATFORM=offscreen $(VPY) -m pytest -q

typecheck: $(STAMP)
	$(VENV)/bin/mypy

bench: $(STAMP)
	@bash scripts/ensure_qt_runtime.sh
	QT_QPA_PLATFORM=offscreen $(VPY) -m pytest -q -s -m bench tests/bench

# PedSleep (assistant working / finished / off) against EDFbrowser, measured from outside:
# Xvfb + openbox + XTest keys + screen polling (installs them with apt when it may)
bench-compare: $(STAMP)
	$(VPY) scripts/bench_compare.py

lint: $(STAMP)
	$(VENV)/bin/ruff check engine gui tests scripts main.py

clean:
	rm -rf $(VENV) build *.egg-info
