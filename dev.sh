#!/usr/bin/env bash
# The two commands of the README:
#   ./dev.sh serve [qa serve options]   set up .venv if needed, index seeds/ on first run, serve the web page
#                                       (following the folder: --watch)
#   ./dev.sh test  [pytest options]     set up .venv (and Debian's chromium for the browser tests, tesseract-ocr
#                                       for the OCR tests), run the tests
set -euo pipefail
cd "$(dirname "$0")"
VENV="${QA_VENV:-.venv}"

setup() {
    [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
    local stamp="$VENV/.qa-installed"
    if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
        echo "dev.sh: installing into $VENV (first run only)..." >&2
        # The CPU build of torch first: left to itself, sentence-transformers pulls a multi-GB CUDA build.
        "$VENV/bin/pip" install --quiet "torch==2.13.0"
        "$VENV/bin/pip" install --quiet -e ".[test,ray]"  # ray: the cluster-build tests run everywhere
        touch "$stamp"
    fi
}

browser() {
    # The browser tests drive Debian's chromium (never a browser downloaded by Playwright).
    [ -x /usr/bin/chromium ] && return
    echo "dev.sh: installing Debian's chromium for the browser tests..." >&2
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
}

ocr() {
    # The OCR tests read scanned pages with Debian's Tesseract (tesseract-ocr brings its English model; qa runs its
    # program, qa.read.ocr).
    command -v tesseract >/dev/null && return
    echo "dev.sh: installing Debian's tesseract-ocr for reading scanned PDFs..." >&2
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq tesseract-ocr >/dev/null
}

case "${1:-}" in
    serve) shift; setup; exec "$VENV/bin/qa" serve --allow-evaluate --watch "$@" ;;  # this machine's own user: Evaluate on, the folder followed
    test) shift; setup; browser; ocr; exec "$VENV/bin/python" -m pytest "$@" ;;
    *) echo "usage: ./dev.sh serve|test [options]" >&2; exit 2 ;;
esac
