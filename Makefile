# The two commands a new user needs: `make run` and `make test`. Both install what is
# missing first: Python packages into .venv (again when backend/pyproject.toml
# changes), npm packages (again when a package-lock.json changes), the built UI (again
# when its sources change) and, for the end-to-end tests, Debian's Chromium.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
BACKEND := backend
FRONTEND := frontend
E2E := e2e
CONSTRAINTS := $(BACKEND)/constraints.txt
# pip prints each package as it is fetched (the first install takes minutes, and says so).
PIP_INSTALL := $(BIN)/pip install --progress-bar on -c $(CONSTRAINTS)
NPM_CI := npm ci --no-audit --no-fund --loglevel=error
UI_SOURCES := $(shell find $(FRONTEND)/src $(FRONTEND)/public -type f 2>/dev/null) \
	$(wildcard $(FRONTEND)/index.html $(FRONTEND)/vite.config.ts $(FRONTEND)/tsconfig*.json)

.PHONY: run test lint typecheck pytest frontend-test e2e ui api-client install install-dev lock bench clean

run: $(VENV)/.installed ui
	@echo "==> Migrating the database"
	$(BIN)/tunix-rt db upgrade
	$(BIN)/tunix-rt serve

test: lint typecheck pytest frontend-test e2e

lint: $(VENV)/.installed-dev
	cd $(BACKEND) && ../$(BIN)/ruff check . && ../$(BIN)/ruff format --check . && ../$(BIN)/lint-imports

typecheck: $(VENV)/.installed-dev
	cd $(BACKEND) && ../$(BIN)/mypy

pytest: $(VENV)/.installed-dev
	cd $(BACKEND) && ../$(BIN)/pytest --cov --cov-report=term --cov-fail-under=80 --durations=25 $(PYTEST_ARGS)

frontend-test: $(FRONTEND)/node_modules/.installed
	cd $(FRONTEND) && npm run --silent api:check && npm run --silent typecheck && npm run --silent lint && npm test

e2e: $(VENV)/.installed ui $(E2E)/node_modules/.installed
	scripts/ensure-chromium.sh
	cd $(E2E) && npx tsc -p . && npx playwright test

ui: $(FRONTEND)/dist/index.html

# Regenerate the OpenAPI document and the TypeScript client after API changes.
api-client: $(VENV)/.installed $(FRONTEND)/node_modules/.installed
	$(BIN)/tunix-rt openapi > $(FRONTEND)/openapi.json
	cd $(FRONTEND) && npm run --silent api:generate

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

$(BIN)/python:
	@echo "==> Creating the virtual environment $(VENV)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BACKEND)/pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	@echo "==> Installing Tunix RT and its Python packages into $(VENV) (JAX, Tunix, Ray: a few minutes the first time)"
	$(PIP_INSTALL) -e '$(BACKEND)[tunix,tuning]'
	touch $@

$(VENV)/.installed-dev: $(BACKEND)/pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	@echo "==> Installing Tunix RT, its Python packages and the test tools into $(VENV) (a few minutes the first time)"
	$(PIP_INSTALL) -e '$(BACKEND)[dev,tunix,tuning]'
	touch $@ $(VENV)/.installed

# Rewrite the constraints from what is installed (after changing pyproject.toml).
lock: $(VENV)/.installed-dev
	{ sed -n '1,2p' $(CONSTRAINTS); $(BIN)/pip freeze --exclude-editable | grep -v '^#'; } > $(CONSTRAINTS).new
	mv $(CONSTRAINTS).new $(CONSTRAINTS)

$(FRONTEND)/node_modules/.installed: $(FRONTEND)/package-lock.json
	@echo "==> Installing the web UI's npm packages"
	cd $(FRONTEND) && $(NPM_CI)
	touch $@

$(E2E)/node_modules/.installed: $(E2E)/package-lock.json
	@echo "==> Installing the browser tests' npm packages"
	cd $(E2E) && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(NPM_CI)
	touch $@

$(FRONTEND)/dist/index.html: $(FRONTEND)/node_modules/.installed $(FRONTEND)/package.json $(UI_SOURCES)
	@echo "==> Building the web UI"
	cd $(FRONTEND) && npm run --silent build
	touch $@

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/traces_ingest.py
	$(BIN)/python bench/traces_list.py
	$(BIN)/python bench/export.py
	$(BIN)/python bench/logs.py
	$(BIN)/python bench/idle_streams.py
	$(BIN)/python bench/run_queue.py
	$(BIN)/python bench/training_overhead.py
	$(BIN)/python bench/evaluation.py
	$(BIN)/python bench/gate_aa.py
	$(BIN)/python bench/serving.py
	$(BIN)/python bench/gemma3_270m.py
	$(BIN)/python bench/tuning_overhead.py

clean:
	rm -rf $(VENV) .tunix-rt $(FRONTEND)/node_modules $(FRONTEND)/dist $(E2E)/node_modules \
		$(BACKEND)/.pytest_cache $(BACKEND)/.mypy_cache $(BACKEND)/.coverage
