#!/usr/bin/env bash
# Programs the test suite runs as real senders and helpers: rsyslog (with its GnuTLS driver, for
# syslog over TLS), logrotate (file tailer rotation), openssl (test certificates), util-linux
# `logger` (package bsdutils), Chromium (the console's end-to-end tests) and poppler-utils (the
# report's PDF). Idempotent: installs
# only what is missing, and refreshes the apt index only when something has to be installed.
# Debian/Ubuntu (apt-get); run as root.
#
#   bash deploy/dev/test-tools.sh
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
# slapd asks for an admin password at install: the tests run their own slapd with their own config.
export DEBCONF_NONINTERACTIVE_SEEN=true

missing=()
# `command -v` cannot see a loadable module: the gtls driver is checked as a file.
command -v rsyslogd >/dev/null 2>&1 || [[ -x /usr/sbin/rsyslogd ]] || missing+=(rsyslog)
compgen -G '/usr/lib/*/rsyslog/lmnsd_gtls.so' >/dev/null || compgen -G '/usr/lib/rsyslog/lmnsd_gtls.so' >/dev/null || missing+=(rsyslog-gnutls)
command -v logrotate >/dev/null 2>&1 || [[ -x /usr/sbin/logrotate ]] || missing+=(logrotate)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v logger >/dev/null 2>&1 || missing+=(bsdutils)
# Response drivers are tested against the real thing: nftables and iptables + ipset in network
# namespaces (iproute2), OpenLDAP's slapd with its client tools, and a throwaway local account.
command -v nft >/dev/null 2>&1 || [[ -x /usr/sbin/nft ]] || missing+=(nftables)
command -v ipset >/dev/null 2>&1 || [[ -x /usr/sbin/ipset ]] || missing+=(ipset)
command -v iptables >/dev/null 2>&1 || [[ -x /usr/sbin/iptables ]] || missing+=(iptables)
command -v ip >/dev/null 2>&1 || [[ -x /usr/sbin/ip ]] || missing+=(iproute2)
command -v slapd >/dev/null 2>&1 || [[ -x /usr/sbin/slapd ]] || missing+=(slapd)
command -v ldapwhoami >/dev/null 2>&1 || missing+=(ldap-utils)
command -v usermod >/dev/null 2>&1 || [[ -x /usr/sbin/usermod ]] || missing+=(passwd)
# The console's end-to-end tests drive Debian's Chromium through playwright-core (no driver needed).
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
# The attack range (test/e2e): hydra guesses passwords against a real OpenSSH server.
command -v hydra >/dev/null 2>&1 || missing+=(hydra)
[[ -x /usr/sbin/sshd ]] || missing+=(openssh-server)
# The weekly report's PDF is checked with poppler: its text (pdftotext) and every page as PNG (pdftoppm).
command -v pdftotext >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "test tools: all present"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  SUDO=sudo
else
  SUDO=
fi
echo "test tools: installing ${missing[*]}"
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
# The Debian package enables the system rsyslog service; the tests run their own rsyslogd in the
# foreground with their own config and never need the system one.
