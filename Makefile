# Deblur Studio: two commands do all the set-up on a fresh machine.
#   make run    set up .venv, then open the app on the bundled sample photo
#               (without a display: deblur the sample with the CLI and say where the result is)
#   make test   set up .venv, then run the whole test suite
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
SAMPLE := $(firstword $(wildcard resources/samples/*.jpg))
export PIP_DISABLE_PIP_VERSION_CHECK=1

.PHONY: setup run test bench package clean train-lite evaluate

$(STAMP): pyproject.toml
	bash scripts/install_system_deps.sh
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test]"
	touch $(STAMP)

setup: $(STAMP)

run: setup
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ] || [ "$$(uname)" = Darwin ]; then \
	  $(VENV)/bin/deblur-studio "$(SAMPLE)"; \
	else \
	  echo "No display found: deblurring the sample with the command line instead."; \
	  $(VENV)/bin/deblur "$(SAMPLE)" -o sample_output && \
	  echo "Result: $$(ls -d $$PWD/sample_output/*)"; \
	fi

test: setup
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

bench: setup
	$(PY) bench/engine.py

package: setup
	bash scripts/package.sh

# keep the shipped lite weights training in the background (resumable)
train-lite: setup
	nice -n 19 $(PY) -m deblur_app.training.train --model mimo-unet-lite --resume \
	  --init weights/mimo-unet-lite.safetensors --steps 60000 --lr 2e-5 --warmup 0 \
	  --batch 4 --patch 192 --minutes 600

evaluate: setup
	$(PY) -m deblur_app.training.evaluate --weights weights/mimo-unet.safetensors \
	  --weights weights/mimo-unet-lite.safetensors --out eval_report

clean:
	rm -rf $(VENV) build dist sample_output eval_report
