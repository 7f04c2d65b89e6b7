# `make demo` and `make test` work on a fresh machine with Python 3.11 and the package registries.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
UV_VERSION := 0.13.8

.PHONY: demo test lint messages lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(UV): | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# The lock files pin every version; the stamps make a second run skip the install.
$(VENV)/.base: requirements/base.lock pyproject.toml | $(UV)
	VIRTUAL_ENV=$(VENV) $(UV) pip install --quiet -r requirements/base.lock
	VIRTUAL_ENV=$(VENV) $(UV) pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.dev: requirements/dev.lock $(VENV)/.base
	VIRTUAL_ENV=$(VENV) $(UV) pip install --quiet -r requirements/dev.lock
	touch $@

demo: $(VENV)/.base
	$(BIN)/pingjia demo
	@echo ""
	@echo "Open http://127.0.0.1:8000/ and log in with one of the accounts above (Ctrl-C stops)."
	$(BIN)/pingjia serve --no-migrate

test: $(VENV)/.dev
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/python tools/check_translations.py
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

# Re-extract the interface strings and compile the catalogues (needs GNU gettext).
messages: $(VENV)/.dev
	cd src/pingjia && ../../$(BIN)/pingjia makemessages --no-obsolete -l zh_Hans -l zh_Hant -l en
	$(BIN)/python tools/check_translations.py --fill-hant --compile

# Lock files: after changing dependencies in pyproject.toml.
lock: | $(UV)
	$(UV) pip compile pyproject.toml --python-version 3.11 -o requirements/base.lock -q
	$(UV) pip compile pyproject.toml --extra dev --python-version 3.11 -c requirements/base.lock -o requirements/dev.lock -q

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
