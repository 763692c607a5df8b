# `make audit` and `make test` set up .venv themselves; nothing needs installing by hand.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed-stamp
# Wheels of the auditor's build and runtime requirements, so the tests can pip-install the auditor the way the
# GitHub Action and pre-commit do, with no index (tests/test_ci_integrations.py). Only `setup` and `test` build it.
WHEELHOUSE := .wheelhouse
WHEELHOUSE_STAMP := $(WHEELHOUSE)/.built
AS_OF_FLAG := $(if $(AS_OF),--as-of $(AS_OF),)

.PHONY: audit test lint docs setup clean

setup: $(STAMP) $(WHEELHOUSE_STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

$(WHEELHOUSE_STAMP): $(STAMP)
	rm -rf $(WHEELHOUSE)
	mkdir -p $(WHEELHOUSE)
	$(VENV)/bin/python -c 'import tomllib; p = tomllib.load(open("pyproject.toml", "rb")); \
		print(*p["build-system"]["requires"], *p["project"]["dependencies"], sep="\n")' > $(WHEELHOUSE)/requirements.txt
	$(VENV)/bin/python -m pip wheel --quiet --disable-pip-version-check -w $(WHEELHOUSE) -r $(WHEELHOUSE)/requirements.txt
	touch $(WHEELHOUSE_STAMP)

audit: $(STAMP)
	$(VENV)/bin/auditor audit examples/directory $(AS_OF_FLAG)

lint: $(STAMP)
	$(VENV)/bin/ruff check auditor tests bench docs

# The docs site (MkDocs, Material theme) into site/; docs/generate.py writes the rule, settings and CLI pages first.
# `make test` builds it too, with --strict (tests/test_docs.py).
docs: $(STAMP)
	$(VENV)/bin/mkdocs build --strict

test: setup lint
	$(VENV)/bin/python -m pytest -q

clean:
	rm -rf $(VENV) $(WHEELHOUSE) examples/directory/.auditor .pytest_cache .ruff_cache site docs/rules docs/reference
