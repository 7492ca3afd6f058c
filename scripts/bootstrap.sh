#!/usr/bin/env bash
# Create .venv from Python 3.10 and install exactly requirements.lock (with uv), then the
# project itself in editable mode. Does nothing when the venv already matches the lock.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
uv_version="0.13.9"
stamp="$venv/.lock-sha256"
want="$(cat "$root/requirements.lock" "$root/setup.py" | sha256sum | cut -d' ' -f1)"

if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -x "$venv/bin/python" ]]; then
  exit 0
fi

find_python() {
  local candidate
  for candidate in "${PYTHON310:-}" python3.10 /usr/bin/python3.10 \
      "$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"/versions/3.10*/bin/python3.10; do
    [[ -n "$candidate" ]] || continue
    if "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
      command -v "$candidate" 2>/dev/null || echo "$candidate"
      return 0
    fi
  done
  return 1
}

python="$(find_python)" || {
  echo "bootstrap: Python 3.10 not found; install it or set PYTHON310=/path/to/python3.10" >&2
  exit 1
}
echo "bootstrap: creating $venv with $python and installing requirements.lock (a few minutes)" >&2
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$uv_version"
"$venv/bin/uv" pip sync --python "$venv/bin/python" "$root/requirements.lock"
"$venv/bin/uv" pip install --python "$venv/bin/python" --no-deps -e "$root"
echo "$want" > "$stamp"
echo "bootstrap: done" >&2
