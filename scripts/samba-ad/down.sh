#!/usr/bin/env bash
# Stop the Samba AD DC that scripts/samba-ad/up.sh started in <dir>, by the PID it recorded.
#   scripts/samba-ad/down.sh <dir>        add SAMBA_AD_REMOVE=1 to delete <dir> afterwards
# SIGTERM to the root `samba -F` process makes all its children exit (1.3-1.7 s, docs/vendor-facts.md F44);
# after 20 s we escalate to SIGKILL of that process group only.
set -euo pipefail

log() { printf 'samba-ad/down: %s\n' "$*" >&2; }
die() { printf 'samba-ad/down: ERROR: %s\n' "$*" >&2; exit 1; }

[[ $# -eq 1 ]] || die "usage: $0 <dir>"
[[ -d $1 ]] || die "$1 is not a directory"
D=$(cd "$1" && pwd)
[[ -f $D/.migrate-samba-ad ]] || die "$D was not created by scripts/samba-ad/up.sh (no .migrate-samba-ad marker)"

stopped=0
if [[ -f $D/samba.pid ]]; then
  PID=$(cat "$D/samba.pid")
  [[ $PID =~ ^[0-9]+$ ]] || die "$D/samba.pid does not hold a PID"
  if kill -0 "$PID" 2>/dev/null && grep -q samba "/proc/$PID/cmdline" 2>/dev/null; then
    kill -TERM "$PID"
    for ((i = 0; i < 200; i++)); do
      kill -0 "$PID" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$PID" 2>/dev/null; then
      log "samba (pid $PID) did not exit after 20 s; sending SIGKILL to its process group"
      kill -KILL -- "-$PID" 2>/dev/null || kill -KILL "$PID" 2>/dev/null || true
    fi
    stopped=1
  fi
  rm -f "$D/samba.pid"
fi
# Children that outlived the root (should not happen) share its process group: wait briefly for them.
if [[ -n ${PID:-} ]]; then
  for ((i = 0; i < 50; i++)); do
    pgrep -g "$PID" >/dev/null 2>&1 || break
    sleep 0.1
  done
fi
if (( stopped )); then log "stopped the DC in $D"; else log "no running DC in $D"; fi

if [[ ${SAMBA_AD_REMOVE:-0} == 1 ]]; then
  find "$D" -mindepth 1 -delete && rmdir "$D"
  log "removed $D"
fi
