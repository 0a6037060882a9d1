#!/usr/bin/env bash
# Creates .venv with Python >= 3.13 and the project's packages, once; re-installs when the
# requirement files change. Prints the venv's python on the last line.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.venv"

is_313() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 13) else 1)' >/dev/null 2>&1; }

find_python() {
  local c
  for c in "${KHADEM_PYTHON:-}" python3.13 python3 python; do
    [ -n "$c" ] || continue
    if command -v "$c" >/dev/null 2>&1 && is_313 "$(command -v "$c")"; then command -v "$c"; return 0; fi
  done
  if command -v pyenv >/dev/null 2>&1; then
    for c in "$(pyenv root)"/versions/3.1[3-9]*/bin/python3; do
      [ -x "$c" ] && is_313 "$c" && { echo "$c"; return 0; }
    done
  fi
  return 1
}

if [ ! -x "$venv/bin/python" ] || ! is_313 "$venv/bin/python"; then
  py=$(find_python) || {
    echo "ERROR: Python 3.13 or newer is needed and none was found." >&2
    echo "Install it (e.g. 'pyenv install 3.13' or your OS package) and put it on PATH," >&2
    echo "or name it: KHADEM_PYTHON=/path/to/python3.13 make run" >&2
    exit 1
  }
  echo "bootstrap: creating .venv with $py" >&2
  rm -rf "$venv"
  "$py" -m venv "$venv"
fi

stamp="$venv/.requirements.sha"
want=$(cat "$root/requirements.txt" "$root/requirements-dev.txt" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "bootstrap: installing packages into .venv" >&2
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$root/requirements-dev.txt" >&2
  echo "$want" > "$stamp"
fi
echo "$venv/bin/python"
