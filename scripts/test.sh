#!/usr/bin/env bash
# Install everything the tests need (pinned Python packages from uv.lock, Debian's Chromium
# for the widget test) and run the whole suite. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ]; then
    echo "installing Debian's chromium for the browser test" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "chromium is missing: run 'sudo apt-get install chromium' (the browser test needs it)" >&2
  fi
fi

# Dovecot (IMAP IDLE) for the email adapter's live tests; tests/dovecot.py starts its own.
if ! command -v dovecot >/dev/null 2>&1 && [ ! -x /usr/sbin/dovecot ]; then
  if [ "$(id -u)" = "0" ]; then
    echo "installing Debian's dovecot-imapd for the email adapter test" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd >/dev/null
  else
    echo "dovecot is missing: run 'sudo apt-get install dovecot-imapd' (the email test needs it)" >&2
  fi
fi

# systemd-analyze checks the unit `omnichannel service install` writes (tests/test_ops.py).
if ! command -v systemd-analyze >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ]; then
    echo "installing Debian's systemd (systemd-analyze) for the unit test" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq systemd >/dev/null
  else
    echo "systemd-analyze is missing: run 'sudo apt-get install systemd' (the unit test needs it)" >&2
  fi
fi

command -v uv >/dev/null 2>&1 || python3 -m pip install -q "uv==0.13.9"
uv sync --frozen --extra test
export LITELLM_LOCAL_MODEL_COST_MAP=True
exec uv run --frozen --no-sync pytest -q "$@"
