#!/usr/bin/env bash
# Creates, once, the two virtual environments the project needs, and re-installs when their
# requirement files change; prints the project's python on the last line.
#   .venv        the services, the gateway and the tests (Python >= 3.11)
#   .venv-store  the local store server, SecantusDB (GPL-2.0): a separate program the project runs
#                as its own process and never imports, so it lives in an environment of its own.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

new_enough() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' >/dev/null 2>&1; }

find_python() {
  local c
  for c in "${KHADEM_PYTHON:-}" python3 python3.13 python3.12 python3.11 python; do
    [ -n "$c" ] || continue
    if command -v "$c" >/dev/null 2>&1 && new_enough "$(command -v "$c")"; then command -v "$c"; return 0; fi
  done
  if command -v pyenv >/dev/null 2>&1; then
    for c in "$(pyenv root)"/versions/3.1[1-9]*/bin/python3; do
      [ -x "$c" ] && new_enough "$c" && { echo "$c"; return 0; }
    done
  fi
  return 1
}

make_venv() {  # make_venv DIR REQUIREMENTS...
  local venv=$1; shift
  if [ ! -x "$venv/bin/python" ] || ! new_enough "$venv/bin/python"; then
    local py
    py=$(find_python) || {
      echo "ERROR: Python 3.11 or newer is needed and none was found." >&2
      echo "Install it (Debian/Ubuntu: sudo apt-get install -y python3 python3-venv) and put it on PATH," >&2
      echo "or name it: KHADEM_PYTHON=/path/to/python3 make run" >&2
      exit 1
    }
    echo "bootstrap: creating $(basename "$venv") with $py" >&2
    rm -rf "$venv"
    "$py" -m venv "$venv" >&2 || {
      echo "ERROR: '$py -m venv' failed; install the venv module (Debian/Ubuntu: python3-venv)." >&2
      exit 1
    }
  fi
  local stamp="$venv/.requirements.sha" want
  want=$(cat "$@" | sha256sum | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "bootstrap: installing packages into $(basename "$venv")" >&2
    local args=() f
    for f in "$@"; do args+=(-r "$f"); done
    "$venv/bin/python" -m pip install -q --disable-pip-version-check "${args[@]}" >&2
    echo "$want" > "$stamp"
  fi
}

make_venv "$root/.venv" "$root/requirements.txt" "$root/requirements-dev.txt"
make_venv "$root/.venv-store" "$root/requirements-store.txt"
echo "$root/.venv/bin/python"
