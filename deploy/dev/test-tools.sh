#!/usr/bin/env bash
# Programs the test suite runs as real senders and helpers: rsyslog (with its GnuTLS driver, for
# syslog over TLS), logrotate (file tailer rotation), openssl (test certificates) and util-linux
# `logger` (package bsdutils). Idempotent: installs only what is missing, and refreshes the apt
# index only when something has to be installed. Debian/Ubuntu (apt-get); run as root.
#
#   bash deploy/dev/test-tools.sh
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

missing=()
# `command -v` cannot see a loadable module: the gtls driver is checked as a file.
command -v rsyslogd >/dev/null 2>&1 || [[ -x /usr/sbin/rsyslogd ]] || missing+=(rsyslog)
compgen -G '/usr/lib/*/rsyslog/lmnsd_gtls.so' >/dev/null || compgen -G '/usr/lib/rsyslog/lmnsd_gtls.so' >/dev/null || missing+=(rsyslog-gnutls)
command -v logrotate >/dev/null 2>&1 || [[ -x /usr/sbin/logrotate ]] || missing+=(logrotate)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v logger >/dev/null 2>&1 || missing+=(bsdutils)

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
