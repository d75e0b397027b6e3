# sixtcap — the two commands: `make run` (set up and serve on SQLite) and `make test` (the whole suite on
# SQLite and PostgreSQL). Both set up everything they need on a fresh machine.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install run test lint format postgres-binaries chromium caddy clean

NODE_STAMP := node_modules/.package-lock.json

install: $(STAMP) $(NODE_STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "sixtcap needs Python >= 3.11 (found $$($(PYTHON) --version))"; exit 1; }
	@$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || \
		{ $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q python3-venv; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

# The browser files sixtcap serves itself (the village's 360° viewer), pinned by package-lock.json.
$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q npm; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

# PostgreSQL binaries, for the throwaway test server used when no server answers on 127.0.0.1:5432.
postgres-binaries:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || \
		{ $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q postgresql; }

# Debian's Chromium, for the widget's browser tests (Playwright drives it; no browser download).
chromium:
	@command -v chromium >/dev/null 2>&1 || \
		{ $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium; }

# Debian's Caddy, for the end-to-end test through HTTPS (tests/test_caddy.py with deploy/Caddyfile).
caddy:
	@command -v caddy >/dev/null 2>&1 || \
		{ $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q caddy; }

run: install
	$(BIN)/sixtcap db upgrade
	$(BIN)/sixtcap catalogue load
	$(BIN)/sixtcap catalogue import --file data/outside_network/demo.json   # demo services outside the network
	$(BIN)/sixtcap serve

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy bot nlu webhooks admin_api sixtcap

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: install postgres-binaries chromium caddy lint
	$(BIN)/pytest

clean:
	rm -rf $(VENV) node_modules var .pytest_cache .mypy_cache .ruff_cache
