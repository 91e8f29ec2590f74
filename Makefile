# mmccrop: the two commands of README.md.
#   make demo   set everything up, then run the demo (the main job)
#   make test   set everything up, then run the test suite
# Both are idempotent: a second run rebuilds nothing.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: install demo test test-fast lint clean

# The install script decides itself what is already done (fingerprint stamp).
install:
	@bash tools/install.sh

demo: install
	@$(PY) tools/demo.py

test: install
	@$(PY) -m pytest tests -q -ra $(PYTEST_ARGS)

test-fast: install
	@$(PY) -m pytest tests -q -ra -m "not slow" $(PYTEST_ARGS)

lint: install
	@$(VENV)/bin/ruff check mmccrop tools tests benchmarks configs

clean:
	rm -rf work_dirs .pytest_cache
