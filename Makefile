# `make audit` and `make test` set up .venv themselves; nothing needs installing by hand.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed-stamp
AS_OF_FLAG := $(if $(AS_OF),--as-of $(AS_OF),)

.PHONY: audit test lint docs setup clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

audit: $(STAMP)
	$(VENV)/bin/auditor audit examples/directory $(AS_OF_FLAG)

lint: $(STAMP)
	$(VENV)/bin/ruff check auditor tests bench docs

# The docs site (MkDocs, Material theme) into site/; docs/generate.py writes the rule, settings and CLI pages first.
# `make test` builds it too, with --strict (tests/test_docs.py).
docs: $(STAMP)
	$(VENV)/bin/mkdocs build --strict

test: $(STAMP) lint
	$(VENV)/bin/python -m pytest -q

clean:
	rm -rf $(VENV) examples/directory/.auditor .pytest_cache .ruff_cache site docs/rules docs/reference
