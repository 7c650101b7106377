#!/usr/bin/env bash
# Set up a fresh machine: system packages (slab's KEMAR, espeak-ng; chromium for tests), a venv in .venv, the CPU build of torch
# first (so nothing pulls a CUDA build), then the project. `setup.sh test` adds what the tests need.
set -euo pipefail
cd "$(dirname "$0")/.."

# libportaudio2: importing slab (MIT KEMAR) needs it; espeak-ng: speech for NFS training and its benchmark
missing=()
ldconfig -p 2>/dev/null | grep libportaudio >/dev/null || missing+=(libportaudio2)  # no grep -q: SIGPIPE under pipefail
command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
if [ "${1:-}" = "test" ]; then
    # Debian's browser and its driver for the web app's browser tests (selenium; no browser is downloaded at run time)
    command -v chromium >/dev/null 2>&1 || missing+=(chromium)
    command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
fi
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "setup: please install the Debian packages: sudo apt-get install ${missing[*]}" >&2
    fi
fi

python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q torch==2.13.0
extras="llm,library,e2e,ui,dataset"
if [ "${1:-}" = "test" ]; then
    extras="llm,tangoflux,library,e2e,ui,dataset,ray,dev"
fi
.venv/bin/python -m pip install -q -c constraints.txt -e ".[${extras}]"
if [ "${1:-}" = "test" ]; then
    # the reference TangoFlux class, only so a test can compare state-dict names; --no-deps keeps its torch 2.4 pin out
    .venv/bin/python -m pip install -q --no-deps tangoflux==0.1.0
fi
