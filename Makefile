# `make audit` and `make test` set up .venv themselves; nothing needs installing by hand.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed-stamp
AS_OF_FLAG := $(if $(AS_OF),--as-of $(AS_OF),)

.PHONY: audit test lint setup clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

audit: $(STAMP)
	$(VENV)/bin/auditor audit examples/directory $(AS_OF_FLAG)

lint: $(STAMP)
	$(VENV)/bin/ruff check auditor tests bench

test: $(STAMP) lint
	$(VENV)/bin/python -m pytest -q

clean:
	rm -rf $(VENV) examples/directory/.auditor .pytest_cache .ruff_cache
