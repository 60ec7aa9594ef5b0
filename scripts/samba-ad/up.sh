#!/usr/bin/env bash
# Bring up a seeded Samba AD domain controller for the AD test tier, entirely inside <dir>.
#
#   scripts/samba-ad/up.sh <dir>          (root, Debian 12; ports 389/636/88 free)
#   AD_SEED_USERS=2000                    users in scope (default 2000; the scale job uses 20000)
#   SAMBA_AD_FRESH=1                      wipe a previous DC in <dir> (only a dir this script created)
#
# Steps (timings and pitfalls measured on Samba 4.17, Debian 12: docs/vendor-facts.md F41, F44):
#   packages → port check → TLS CA + server cert → provision into <dir> → private smb.conf
#   → start `samba -F` on loopback → wait for LDAP and LDAPS → seed with `ldbadd -o batch_mode:1`
#   → check the bind account over LDAPS → write <dir>/env.
# Secrets: the Administrator password is random and never stored or printed (the tests bind as a
# dedicated service account); the service account password lives only in <dir>/bind-password (0600)
# and reaches tools through files (ldapsearch -y), never argv.
set -euo pipefail

log() { printf 'samba-ad/up: %s\n' "$*" >&2; }
die() { printf 'samba-ad/up: ERROR: %s\n' "$*" >&2; exit 1; }

[[ $# -eq 1 ]] || die "usage: $0 <dir>   (for example: $0 /tmp/ad)"
[[ $(id -u) -eq 0 ]] || die "must run as root (Samba's DC needs root: it binds ports 88/389/636 and sets file ACLs)"
command -v apt-get >/dev/null || die "apt-get not found: this script supports Debian/Ubuntu only (tested on Debian 12)"
command -v node >/dev/null || die "node not found on PATH: the seed generator (seed.mjs) needs Node 20"

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$1"
D=$(cd "$1" && pwd)
MARKER="$D/.migrate-samba-ad"
REALM=MIGRATE.TEST
DOMAIN=MIGRATE
BASE_DN=DC=migrate,DC=test
USERS=${AD_SEED_USERS:-2000}
[[ $USERS =~ ^[0-9]+$ ]] || die "AD_SEED_USERS must be a number (got '$USERS')"
T0=$(date +%s.%N)
elapsed() { awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# ---------- refuse to clobber ----------
if [[ -f $D/samba.pid ]] && kill -0 "$(cat "$D/samba.pid")" 2>/dev/null; then
  die "a DC from $D is already running (pid $(cat "$D/samba.pid")); stop it with scripts/samba-ad/down.sh $D"
fi
if [[ -n $(ls -A "$D") ]]; then
  if [[ -f $MARKER && ${SAMBA_AD_FRESH:-0} == 1 ]]; then
    log "SAMBA_AD_FRESH=1: removing the previous DC in $D"
    find "$D" -mindepth 1 -delete
  elif [[ -f $MARKER ]]; then
    die "$D already holds a DC; rerun with SAMBA_AD_FRESH=1 to re-provision it, or start it again is not supported (seed counts would drift)"
  else
    die "$D is not empty and was not created by this script; give an empty or new directory"
  fi
fi
touch "$MARKER"

# ---------- packages (apt-get update only when something is missing) ----------
PKGS=(samba samba-ad-dc samba-ad-provision samba-dsdb-modules winbind ldb-tools ldap-utils krb5-user openssl)
MISSING=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || MISSING+=("$p")
done
if (( ${#MISSING[@]} > 0 )); then
  log "installing ${MISSING[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >"$D/apt.log" 2>&1 || { tail -20 "$D/apt.log" >&2; die "apt-get update failed (log: $D/apt.log)"; }
  apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 "${MISSING[@]}" >>"$D/apt.log" 2>&1 \
    || { tail -20 "$D/apt.log" >&2; die "apt-get install failed (log: $D/apt.log)"; }
fi
log "packages ready ($(elapsed) s)"

# ---------- ports: Samba's AD ports are fixed (docs/vendor-facts.md F44) ----------
BUSY=$(ss -Hltn 2>/dev/null | awk '{print $4}' | grep -E '(^|:)(389|636|88)$' || true)
if [[ -n $BUSY ]]; then
  die "ports needed by the DC are already in use: $(echo "$BUSY" | tr '\n' ' ')— Samba cannot move its LDAP (389/636) or Kerberos (88) ports. Stop the other LDAP/Kerberos server (for example a system slapd, or a DC from another dir: scripts/samba-ad/down.sh <thatdir>) and retry."
fi

# ---------- secrets (random; files only, 0600) ----------
umask 077
head -c 18 /dev/urandom | base64 | tr '+/' 'Xy' | tr -d '\n=' | sed 's/^/Mg-/; s/$/-7q!/' | tr -d '\n' >"$D/bind-password"
chmod 600 "$D/bind-password"
umask 022

# ---------- TLS: own CA + server cert with SANs, so clients verify with only the CA (docs/vendor-facts.md F44) ----------
mkdir -p "$D/tls"
(
  cd "$D/tls"
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=migrate test CA" \
    -keyout ca-key.pem -out ca.pem >/dev/null 2>&1
  openssl req -newkey rsa:2048 -nodes -subj "/CN=dc1.migrate.test" -keyout key.pem -out server.csr >/dev/null 2>&1
  printf 'subjectAltName=DNS:dc1.migrate.test,DNS:migrate.test,DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\n' >ext.cnf
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 30 -extfile ext.cnf \
    -out cert.pem >/dev/null 2>&1
  chmod 600 key.pem ca-key.pem
  chmod 644 ca.pem cert.pem
) || die "openssl could not create the test CA and server certificate in $D/tls"

# ---------- provision (3-4 s) ----------
# -s /dev/null: do not inherit /etc/samba/smb.conf. No --adminpass: samba-tool picks a random one,
# which we drop from the log (nothing here binds as Administrator).
log "provisioning $REALM into $D"
samba-tool domain provision -s /dev/null --targetdir="$D" --realm="$REALM" --domain="$DOMAIN" \
  --host-name=dc1 --host-ip=127.0.0.1 --server-role=dc --dns-backend=NONE --use-rfc2307 2>&1 \
  | grep -vi 'password' >"$D/provision.log" || true
[[ -f $D/private/sam.ldb ]] || { tail -20 "$D/provision.log" >&2; die "provisioning failed (log: $D/provision.log)"; }
log "provisioned ($(elapsed) s)"

# ---------- private smb.conf: loopback only, every path inside $D (docs/vendor-facts.md F44) ----------
mkdir -p "$D/cache" "$D/run" "$D/log" "$D/state/sysvol/migrate.test/scripts"
cat >"$D/etc/smb.conf" <<EOF
[global]
	netbios name = DC1
	workgroup = $DOMAIN
	realm = $REALM
	server role = active directory domain controller
	server services = ldap, cldap, kdc
	interfaces = lo
	bind interfaces only = yes
	ldap server require strong auth = no
	tls enabled = yes
	tls keyfile = $D/tls/key.pem
	tls certfile = $D/tls/cert.pem
	tls cafile = $D/tls/ca.pem
	prefork children = 2
	private dir = $D/private
	lock directory = $D
	state directory = $D/state
	cache directory = $D/cache
	binddns dir = $D/bind-dns
	pid directory = $D/run
	ncalrpc dir = $D/run/ncalrpc
	winbindd socket directory = $D/run/winbindd
	ntp signd socket directory = $D/run/ntp_signd
	log file = $D/log/log.%m
	idmap_ldb:use rfc2307 = yes
[sysvol]
	path = $D/state/sysvol
	read only = no
[netlogon]
	path = $D/state/sysvol/migrate.test/scripts
	read only = no
EOF

# ---------- start ----------
# -F keeps the root process in the foreground so $! is its PID; samba puts itself in its own
# process group, so it outlives this shell until down.sh stops it.
nohup samba -F --debug-stdout -s "$D/etc/smb.conf" >>"$D/samba.log" 2>&1 </dev/null &
echo $! >"$D/samba.pid"
log "samba started (pid $(cat "$D/samba.pid")), waiting for LDAP and LDAPS"

wait_for() { # <what> <command...>: bounded wait (30 s), fails if samba exits meanwhile
  local what=$1; shift
  local i
  for ((i = 0; i < 300; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    kill -0 "$(cat "$D/samba.pid")" 2>/dev/null || { tail -30 "$D/samba.log" >&2; die "samba exited before $what answered (log: $D/samba.log)"; }
    sleep 0.1
  done
  tail -30 "$D/samba.log" >&2
  die "$what did not answer within 30 s (log: $D/samba.log); stop the DC with scripts/samba-ad/down.sh $D"
}
wait_for "LDAP on 127.0.0.1:389" ldapsearch -x -H ldap://127.0.0.1:389 -b '' -s base defaultNamingContext
wait_for "LDAPS on 127.0.0.1:636" env LDAPTLS_CACERT="$D/tls/ca.pem" LDAPTLS_REQCERT=demand \
  ldapsearch -x -H ldaps://127.0.0.1:636 -b '' -s base defaultNamingContext
log "LDAP and LDAPS answer ($(elapsed) s)"

# ---------- seed (batch_mode: ~700 users/s instead of quadratic slowdown, docs/vendor-facts.md F44) ----------
node "$SCRIPT_DIR/seed.mjs" --out "$D" --users "$USERS" --base "$BASE_DN" --realm "$REALM" \
  --netbios "$DOMAIN" --bind-password-file "$D/bind-password" >&2
if ! ldbadd -H "$D/private/sam.ldb" --configfile="$D/etc/smb.conf" -o batch_mode:1 "$D/seed.ldif" >"$D/seed.log" 2>&1; then
  rm -f "$D/seed.ldif"
  tail -20 "$D/seed.log" >&2
  die "seeding failed (log: $D/seed.log); batch_mode aborts the whole load on one bad record"
fi
rm -f "$D/seed.ldif" # it holds the service account's unicodePwd
log "seeded $(tail -1 "$D/seed.log") ($(elapsed) s)"

BIND_DN=$(node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).dn)' "$D/bind.json")
BIND_UPN=$(node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).upn)' "$D/bind.json")
BIND_NT=$(node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).nt)' "$D/bind.json")

# ---------- check: the service account binds over LDAPS with CA verification ----------
LDAPTLS_CACERT="$D/tls/ca.pem" LDAPTLS_REQCERT=demand ldapsearch -x -H ldaps://127.0.0.1:636 \
  -D "$BIND_UPN" -y "$D/bind-password" -b "$BASE_DN" -s base dn >/dev/null \
  || die "the seeded bind account $BIND_UPN could not bind over LDAPS (see $D/samba.log)"

# ---------- env file ----------
q() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
{
  echo "# written by scripts/samba-ad/up.sh; source it or pass its path as AD_ENV_FILE"
  echo "export AD_DIR=$(q "$D")"
  echo "export AD_URL=$(q ldap://127.0.0.1:389)"
  echo "export AD_LDAPS_URL=$(q ldaps://127.0.0.1:636)"
  echo "export AD_BIND_DN=$(q "$BIND_DN")"
  echo "export AD_BIND_UPN=$(q "$BIND_UPN")"
  echo "export AD_BIND_NT=$(q "$BIND_NT")"
  echo "export AD_PASSWORD_FILE=$(q "$D/bind-password")"
  echo "export AD_CA_FILE=$(q "$D/tls/ca.pem")"
  echo "export AD_BASE_DN=$(q "OU=Corp,$BASE_DN")"
  echo "export AD_EXPECTED=$(q "$D/expected.json")"
} >"$D/env"
log "ready in $(elapsed) s; environment in $D/env (password only in $D/bind-password):"
grep '^export' "$D/env"
