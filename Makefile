# facs_rig developer commands. `make demo` and `make test` do all setup on a fresh machine.

PYTHON ?= python3.11
VENV := .venv
VENV_COMPAT := .venv-compat
PY := $(VENV)/bin/python
PY_COMPAT := $(VENV_COMPAT)/bin/python

# The default avatar, built from the pinned CC0 MakeHuman assets (see tools/build_avatar_asset.py).
AVATAR_ASSET := facs_rig/assets/default_head.npz
# The face reader's model, taken from a pinned PyPI wheel (see tools/build_reader_model.py).
READER_MODEL := facs_rig/assets/face_landmarker.task

.PHONY: all demo test test-compat lint build assets bench verify-report clean

all: test

# Each environment is rebuilt from scratch when its pinned requirements change.
$(VENV)/.ready: requirements/blender-5.0.txt requirements/dev.txt
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements/blender-5.0.txt
	touch $@

$(VENV_COMPAT)/.ready: requirements/blender-4.2.txt requirements/dev.txt
	rm -rf $(VENV_COMPAT)
	$(PYTHON) -m venv $(VENV_COMPAT)
	$(PY_COMPAT) -m pip install -q -r requirements/blender-4.2.txt
	touch $@

assets: $(AVATAR_ASSET) $(READER_MODEL)

$(AVATAR_ASSET): tools/build_avatar_asset.py tools/pinned_wheel.py facs_rig/io/avatar_asset.py | $(VENV)/.ready
	$(PY) tools/build_avatar_asset.py --output $@

$(READER_MODEL): tools/build_reader_model.py tools/pinned_wheel.py | $(VENV)/.ready
	$(PY) tools/build_reader_model.py --output $@

demo: $(VENV)/.ready $(AVATAR_ASSET) $(READER_MODEL)
	$(PY) -m facs_rig render --avatar default --timeline presets/timelines/demo.json -o out/demo.mp4
	$(PY) -m facs_rig atlas -o out/atlas.png
	@echo "demo written: out/demo.mp4 and out/atlas.png"

lint: $(VENV)/.ready
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

test: lint $(AVATAR_ASSET) $(READER_MODEL)
	$(PY) -m pytest

test-compat: $(VENV_COMPAT)/.ready $(AVATAR_ASSET) $(READER_MODEL)
	$(PY_COMPAT) -m pytest

build: $(VENV)/.ready $(AVATAR_ASSET) $(READER_MODEL)
	$(PY) tools/build_extension.py --output-dir dist

# The closed loop on the default head: render each AU code and emotion prototype, read it back with
# the built-in reader, score it (docs/verify.md). Writes docs/verify/default_head.{json,md,png}.
verify-report: $(VENV)/.ready $(AVATAR_ASSET) $(READER_MODEL)
	$(PY) -m facs_rig verify --avatar default --views front,left30,right30 --levels E --tile 160 \
		-o docs/verify/default_head

bench: $(VENV)/.ready $(AVATAR_ASSET) $(READER_MODEL)
	@for script in bench/bench_*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

clean:
	rm -rf dist out .pytest_cache .ruff_cache
