#!/usr/bin/env bash
# Installs what the browser tests and the page benchmark need beyond the Python venv, only when missing:
#   - Debian packages: chromium (driven by Playwright and Lighthouse), wrk (bench/pages.py), fonts-liberation
#     (Arial-compatible metrics for the site's font stack), nodejs + npm only if the machine has no npm;
#   - node_modules from package-lock.json (axe-core, lighthouse), re-installed when the lock file changed.
# Idempotent and quick when everything is there (no network, no apt, no npm). Run as root, or with sudo.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'setup-system: %s\n' "$*"; }

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
command -v wrk >/dev/null 2>&1 || need_apt+=(wrk)
dpkg-query -W -f='${Status}' fonts-liberation 2>/dev/null | grep -q 'ok installed' || need_apt+=(fonts-liberation)
command -v npm >/dev/null 2>&1 || need_apt+=(nodejs npm)

if [ "${#need_apt[@]}" -gt 0 ]; then
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo=(sudo); else
      say "missing ${need_apt[*]} and not root (no sudo): install them with apt-get, then re-run" >&2
      exit 1
    fi
  fi
  say "installing with apt: ${need_apt[*]}"
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# node_modules: (re)install when missing or older than the lock file (npm writes node_modules/.package-lock.json).
stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ package.json -nt "$stamp" ] \
   || [ ! -f node_modules/axe-core/axe.min.js ] || [ ! -x node_modules/.bin/lighthouse ]; then
  say "installing node_modules (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi
