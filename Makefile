# Two entry points: `make run` and `make test`. Both install what is needed first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lint typecheck pytest system-deps bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) system-deps

# Debian packages: fonts-noto-cjk (the Chinese font embedded in PDFs), poppler-utils (tests read PDFs back)
# chromium (the browser test; Playwright must not download its own browser) and libreoffice-calc-nogui (a test
# opens the monthly export in LibreOffice headless). Installed where we run as root on Debian; elsewhere the
# PDF code says which font it misses and the tests that need a missing program fail in CI.
SYSTEM_PACKAGES := fonts-noto-cjk poppler-utils chromium libreoffice-calc-nogui
system-deps:
	@missing=""; \
	[ -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || missing="$$missing fonts-noto-cjk"; \
	command -v pdftotext >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v soffice >/dev/null 2>&1 || missing="$$missing libreoffice-calc-nogui"; \
	if [ -z "$$missing" ]; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian packages:$$missing"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
		|| echo "could not install$$missing"; \
	else echo "missing Debian packages (not root on Debian):$$missing"; fi

run: install
	$(BIN)/safetybot run

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

# The suite runs in two processes (pytest-xdist): most tests wait on loopback HTTP and the databases, so
# two workers nearly halve the wall time on a 2-core machine. PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= 2
pytest: install
	$(BIN)/pytest -q -n $(PYTEST_WORKERS)

test: lint typecheck pytest

bench: install
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
