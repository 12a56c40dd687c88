#!/usr/bin/env bash
# Installs, from Debian's packages, the servers the test suite starts on loopback (and the
# chromium the dashboard's browser tests drive), when they are missing. Each needed binary is
# listed with the package that provides it.
set -euo pipefail

declare -A NEEDED=(
  [redis-server]=redis-server
  [rabbitmq-server]=rabbitmq-server
  [memcached]=memcached
  [chromium]=chromium
)

missing=()
for bin in "${!NEEDED[@]}"; do
  command -v "$bin" >/dev/null 2>&1 || missing+=("${NEEDED[$bin]}")
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "Installing ${missing[*]} (needed by the tests)"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
