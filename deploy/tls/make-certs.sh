#!/usr/bin/env bash
# Certificates for Watchpost's syslog TLS listener (RFC 5425) with OpenSSL: a private CA, a server
# certificate for the listener with the names and addresses senders connect to, and optionally
# client certificates for senders (mutual TLS, `clientAuth: required`).
#
#   bash deploy/tls/make-certs.sh [options] NAME_OR_ADDRESS...
#
#   NAME_OR_ADDRESS   DNS names and IP addresses of the listener as senders reach it; each goes
#                     into the server certificate's subjectAltName, the first is also its CN.
#   --out DIR         where the listener's files go (default deploy/docker/tls, which the compose
#                     file mounts): ca.crt, server.crt, server.key, client-NAME.crt/.key
#   --ca-dir DIR      where the CA's key stays (default: DIR-ca next to --out). Not inside --out,
#                     so mounting --out into a container does not hand out the CA key.
#   --client NAME     also issue a client certificate NAME (CN=NAME); repeatable
#   --key-owner U[:G] chown server.key to this user (the container's uid is 10001, the systemd
#                     units' user is watchpost); needs root
#   --days N          validity of server and client certificates (default 825; the CA: 3650)
#
# Never overwrites: files that exist are kept, so a second run with the same names changes nothing
# and a run with new --client names adds only those. A run whose names differ from those of the
# existing server certificate is refused: remove server.crt and server.key to issue a new one.
# Keys are RSA 3072 (devices such as firewalls often accept nothing else), 0600 in 0700 or 0755
# directories. No argument is ever passed through a shell: each is checked against a strict pattern
# and given to openssl as one argument.
set -euo pipefail
umask 077

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="$SCRIPT_DIR/../docker/tls"
CA_DIR=""
DAYS=825
CA_DAYS=3650
KEY_OWNER=""
CLIENTS=()
NAMES=()

die() { printf 'make-certs: %s\n' "$*" >&2; exit 1; }
say() { printf 'make-certs: %s\n' "$*" >&2; }

usage() { sed -n '2,26p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit "${1:-2}"; }

is_ipv4() {
  local IFS=. part
  local -a parts
  [[ "$1" =~ ^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$ ]] || return 1
  read -r -a parts <<<"$1"
  for part in "${parts[@]}"; do ((10#$part <= 255)) || return 1; done
}
is_ipv6() { [[ "$1" =~ ^[0-9A-Fa-f:.]+$ && "$1" == *:*:* && ${#1} -le 45 ]]; }
# RFC 1123 host names, one leading wildcard label allowed; digits and dots only is a mistyped
# IPv4 address, not a name.
is_dns() {
  [[ ! "$1" =~ ^[0-9.]+$ && ${#1} -le 253 && "$1" =~ ^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$ ]]
}
is_client_name() { [[ "$1" =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$ ]]; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) [[ $# -ge 2 ]] || die "--out needs a directory"; OUT="$2"; shift 2 ;;
    --ca-dir) [[ $# -ge 2 ]] || die "--ca-dir needs a directory"; CA_DIR="$2"; shift 2 ;;
    --client) [[ $# -ge 2 ]] || die "--client needs a name"; is_client_name "$2" || die "client name '$2': letters, digits, . _ - only (at most 63)"; CLIENTS+=("$2"); shift 2 ;;
    --key-owner) [[ $# -ge 2 ]] || die "--key-owner needs USER[:GROUP]"; [[ "$2" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?$ ]] || die "--key-owner '$2' is not USER[:GROUP]"; KEY_OWNER="$2"; shift 2 ;;
    --days) [[ $# -ge 2 && "$2" =~ ^[1-9][0-9]{0,4}$ ]] || die "--days needs a number of days"; DAYS="$2"; shift 2 ;;
    -h | --help) usage 0 ;;
    --) shift; NAMES+=("$@"); break ;;
    -*) die "unknown option $1 (--help)" ;;
    *) NAMES+=("$1"); shift ;;
  esac
done
[[ ${#NAMES[@]} -gt 0 ]] || { say "name at least one DNS name or IP address of the listener"; usage 2; }
command -v openssl >/dev/null 2>&1 || die "openssl is not installed"
[[ -z "$CA_DIR" ]] && CA_DIR="${OUT%/}-ca"

# subjectAltName entries, checked: nothing reaches openssl that is not a plain name or address.
SANS=()
for name in "${NAMES[@]}"; do
  if is_ipv4 "$name" || is_ipv6 "$name"; then SANS+=("IP:$name")
  elif is_dns "$name"; then SANS+=("DNS:$name")
  else die "'$name' is neither a DNS name nor an IP address"
  fi
done
SAN_LINE="$(IFS=,; printf '%s' "${SANS[*]}")"

# Parents made on the way are ordinary 0755 directories (a service user must traverse them).
(umask 022 && mkdir -p "$CA_DIR" "$OUT")
chmod 700 "$CA_DIR"
# The listener's directory is readable (certificates are public; the key is 0600 on its own).
chmod 755 "$OUT"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# Our own OpenSSL configuration: the system's openssl.cnf must not add or change extensions.
cat >"$WORK/openssl.cnf" <<'EOF'
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
[ ca_ext ]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
EOF

serial() { printf '0x%s' "$(openssl rand -hex 16)"; }

# --- the CA ------------------------------------------------------------------------------------
if [[ -s "$CA_DIR/ca.key" && -s "$CA_DIR/ca.crt" ]]; then
  say "CA kept: $CA_DIR/ca.crt"
elif [[ -e "$CA_DIR/ca.key" || -e "$CA_DIR/ca.crt" ]]; then
  die "$CA_DIR holds only part of a CA (ca.key or ca.crt); remove it or restore the missing file"
else
  openssl req -x509 -new -newkey rsa:3072 -nodes -sha256 -days "$CA_DAYS" -set_serial "$(serial)" \
    -config "$WORK/openssl.cnf" -extensions ca_ext -subj "/CN=Watchpost syslog CA" \
    -keyout "$WORK/ca.key" -out "$WORK/ca.crt" 2>"$WORK/openssl.log" || { cat "$WORK/openssl.log" >&2; die "making the CA failed"; }
  chmod 600 "$WORK/ca.key"
  chmod 644 "$WORK/ca.crt"
  mv "$WORK/ca.key" "$CA_DIR/ca.key"
  mv "$WORK/ca.crt" "$CA_DIR/ca.crt"
  say "CA made: $CA_DIR/ca.crt (its key $CA_DIR/ca.key: keep it offline)"
fi
if [[ ! -e "$OUT/ca.crt" ]]; then
  cp "$CA_DIR/ca.crt" "$OUT/ca.crt"
  chmod 644 "$OUT/ca.crt"
elif ! cmp -s "$CA_DIR/ca.crt" "$OUT/ca.crt"; then
  die "$OUT/ca.crt is not the CA in $CA_DIR; refusing to mix CAs"
fi

# Issues NAME.crt and NAME.key signed by the CA; $3 is the extension section's body.
issue() {
  local name="$1" subject="$2" extensions="$3"
  printf '[ ext ]\n%s\n' "$extensions" >"$WORK/$name.ext"
  openssl req -new -newkey rsa:3072 -nodes -sha256 -config "$WORK/openssl.cnf" -subj "$subject" \
    -keyout "$WORK/$name.key" -out "$WORK/$name.csr" 2>"$WORK/openssl.log" || { cat "$WORK/openssl.log" >&2; die "making the key of $name failed"; }
  openssl x509 -req -in "$WORK/$name.csr" -CA "$CA_DIR/ca.crt" -CAkey "$CA_DIR/ca.key" -set_serial "$(serial)" \
    -sha256 -days "$DAYS" -extfile "$WORK/$name.ext" -extensions ext -out "$WORK/$name.crt" 2>"$WORK/openssl.log" ||
    { cat "$WORK/openssl.log" >&2; die "signing $name failed"; }
  chmod 600 "$WORK/$name.key"
  chmod 644 "$WORK/$name.crt"
  # The key first: a certificate without its key would look like a finished pair.
  mv "$WORK/$name.key" "$OUT/$name.key"
  mv "$WORK/$name.crt" "$OUT/$name.crt"
}

# --- the server certificate --------------------------------------------------------------------
if [[ -e "$OUT/server.crt" || -e "$OUT/server.key" ]]; then
  [[ -s "$OUT/server.crt" && -s "$OUT/server.key" ]] || die "$OUT holds only part of the server pair; remove server.crt and server.key to issue a new one"
  if [[ "$(cat "$OUT/server.names" 2>/dev/null || true)" != "$SAN_LINE" ]]; then
    die "$OUT/server.crt exists for other names ($(cat "$OUT/server.names" 2>/dev/null || echo unknown)); remove server.crt and server.key to issue one for $SAN_LINE"
  fi
  say "server certificate kept: $OUT/server.crt ($SAN_LINE)"
else
  issue server "/CN=${NAMES[0]}" "basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = $SAN_LINE
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid"
  umask 022
  printf '%s\n' "$SAN_LINE" >"$OUT/server.names"
  umask 077
  say "server certificate made: $OUT/server.crt ($SAN_LINE)"
fi
if [[ -n "$KEY_OWNER" ]]; then
  chown "$KEY_OWNER" "$OUT/server.key" || die "chown $KEY_OWNER $OUT/server.key failed (run as root)"
fi

# --- client certificates -----------------------------------------------------------------------
for client in "${CLIENTS[@]}"; do
  if [[ -e "$OUT/client-$client.crt" || -e "$OUT/client-$client.key" ]]; then
    say "client certificate kept: $OUT/client-$client.crt"
    continue
  fi
  issue "client-$client" "/CN=$client" "basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid"
  say "client certificate made: $OUT/client-$client.crt (CN=$client; copy it and its key to the sender)"
done
