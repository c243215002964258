# Segue developer commands. `make run` is all a new machine needs.
.DEFAULT_GOAL := help
SHELL := /bin/bash

VENV := .venv
VENV_PYTHON := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
# The text model exported to ONNX for prompt encoding; its manifest is written last, so it is the stamp.
MODELS_DIR := $(or $(SEGUE_DATA_DIR),.data)/models
PROMPT_ENCODER := $(MODELS_DIR)/all-minilm-l6-v2.onnx
PROMPT_ENCODER_MANIFEST := $(MODELS_DIR)/all-minilm-l6-v2.json
# The machines' Python is 3.11; a bare `python3` is accepted only if it is 3.11 too.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
PIP_QUIET := --quiet --disable-pip-version-check

PYTEST_ARGS ?=
BENCH_ARGS ?=

.PHONY: help venv install system-deps supysonic-peer run dev test lint bench stop clean-data

help:
	@echo "make run         start PostgreSQL, Redis, then the Procfile under honcho: web (gunicorn, DEBUG off), Celery workers, beat (Ctrl-C stops all)"
	@echo "make dev         the same with Django's autoreloading debug server (DEBUG on) for development"
	@echo "make test        run the test suite (PYTEST_ARGS='-k name' to narrow; -m 'not e2e' skips the browser)"
	@echo "make system-deps as root or in CI: Debian's chromium, ffmpeg and mpv for the browser and player tests"
	@echo "make supysonic-peer  the Subsonic test server (Supysonic, AGPL) in its own venv .data/supysonic-venv"
	@echo "make lint        ruff check, ruff format --check, mypy, lint-imports (the apps' layering)"
	@echo "make bench       catalog benchmark (BENCH_ARGS='--tracks 200000')"
	@echo "make stop        stop a running make run (web, worker, beat) and the embedded services"
	@echo "make clean-data  stop them and delete .data/ (database, broker, media)"

venv: $(INSTALLED)

install: $(INSTALLED) $(PROMPT_ENCODER_MANIFEST)

# torch goes first: the CPU wheel is on local disk (PIP_FIND_LINKS); installed before
# sentence-transformers asks for torch, it keeps pip from fetching a multi-GB CUDA build.
$(INSTALLED): pyproject.toml
	@if [ -z "$(PYTHON)" ]; then echo "No python3.11 or python3 on PATH." >&2; exit 1; fi
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
		|| { echo "Segue needs Python 3.11; $(PYTHON) is $$($(PYTHON) --version 2>&1)." >&2; exit 1; }
	@test -x $(VENV_PYTHON) || $(PYTHON) -m venv $(VENV)
	@echo "Installing into $(VENV) (torch CPU build first, then segue[dev])..."
	@$(VENV_PYTHON) -m pip install $(PIP_QUIET) --upgrade pip
	@$(VENV_PYTHON) -m pip install $(PIP_QUIET) torch==2.13.0
	@$(VENV_PYTHON) -m pip install $(PIP_QUIET) -e ".[dev]"
	@touch $@

# Exported once per install, checked against PyTorch (cosine >= 0.999) before it is kept; a
# missing .onnx or manifest, or a newer install, runs it again (--if-stale: only if the installed
# model's weights differ from the export's, or the files are missing or unfinished).
$(PROMPT_ENCODER_MANIFEST): $(INSTALLED) $(PROMPT_ENCODER)
	@echo "Exporting the prompt encoder to ONNX Runtime (manage.py export_prompt_encoder)..."
	@$(VENV_PYTHON) manage.py export_prompt_encoder --if-stale
	@touch $@

# No recipe: a missing model file counts as changed, so the manifest's rule above runs the export.
$(PROMPT_ENCODER):

run: $(INSTALLED) $(PROMPT_ENCODER_MANIFEST)
	$(VENV_PYTHON) -m config.launch

dev: $(INSTALLED) $(PROMPT_ENCODER_MANIFEST)
	$(VENV_PYTHON) -m config.launch --dev

# The browser tests drive Debian's chromium (never a Playwright browser download). Installed
# only when missing and only where we may (root, or CI); elsewhere those tests skip with a reason.
system-deps:
	@if command -v chromium >/dev/null 2>&1 && command -v ffmpeg >/dev/null 2>&1 && command -v mpv >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = "0" ] || [ -n "$$CI" ]; then \
		echo "Installing chromium, ffmpeg and mpv (apt-get)..."; \
		SUDO=$$([ "$$(id -u)" = "0" ] || echo sudo); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium ffmpeg mpv; \
	else \
		echo "note: no chromium/ffmpeg/mpv and not root: the browser and player tests will be skipped (sudo make system-deps)."; \
	fi

# The Subsonic tests talk to a real Supysonic server. It is AGPL, so it lives in its own virtualenv
# and runs as a separate process: never installed into .venv, never imported by Segue.
SUPYSONIC_VENV := .data/supysonic-venv
SUPYSONIC_READY := $(SUPYSONIC_VENV)/.installed

supysonic-peer: $(SUPYSONIC_READY)

$(SUPYSONIC_READY):
	@if [ -z "$(PYTHON)" ]; then echo "No python3 on PATH." >&2; exit 1; fi
	@mkdir -p .data
	@test -x $(SUPYSONIC_VENV)/bin/python || $(PYTHON) -m venv $(SUPYSONIC_VENV)
	@echo "Installing the Subsonic test peer (supysonic, waitress) into $(SUPYSONIC_VENV)..."
	@$(SUPYSONIC_VENV)/bin/python -m pip install $(PIP_QUIET) supysonic waitress && touch $@ \
		|| echo "note: Supysonic could not be installed; the Subsonic tests will be skipped." >&2

test: system-deps $(INSTALLED) $(PROMPT_ENCODER_MANIFEST) $(SUPYSONIC_READY)
	$(VENV_PYTHON) -m pytest $(PYTEST_ARGS)

# All four run even when one fails, so a single pass shows every finding. lint-imports checks
# the apps' layering (the contracts in pyproject.toml); --no-cache leaves no cache folder behind.
lint: $(INSTALLED)
	@status=0; \
	echo "ruff check ."; $(VENV)/bin/ruff check . || status=1; \
	echo "ruff format --check ."; $(VENV)/bin/ruff format --check . || status=1; \
	echo "mypy ."; $(VENV)/bin/mypy . || status=1; \
	echo "lint-imports"; $(VENV)/bin/lint-imports --no-cache --no-logo || status=1; \
	exit $$status

bench: $(INSTALLED) $(PROMPT_ENCODER_MANIFEST)
	$(VENV_PYTHON) manage.py bench_catalog $(BENCH_ARGS)

# No install prerequisite: stopping must work (or quietly do nothing) even when an
# install failed half-way, e.g. from the CI script's exit trap.
stop:
	@if [ -x $(VENV_PYTHON) ]; then $(VENV_PYTHON) -m config.launch --stop; fi

clean-data: stop
	rm -rf .data
