#!/usr/bin/env bash
# Installs every external program the test suite needs, on a fresh Debian machine.
# Idempotent: a program already present is not installed again.
# Tests that need one of these programs fail loudly when it is missing; they never skip.
set -euo pipefail

# Debian packages: command -> package.
declare -A apt_packages=(
  [valgrind]=valgrind
  [promtool]=prometheus
  [prometheus]=prometheus
  [ruby]=ruby
  [jq]=jq
  [python3]=python3
  [go]=golang-go
)

# Debian packages that install a library rather than a command: file it installs -> package.
declare -A apt_files=(
  [/usr/lib/ruby/vendor_ruby/statsd.rb]=ruby-statsd
  [/usr/lib/python3/dist-packages/aiodogstatsd/__init__.py]=python3-aiodogstatsd
)

missing=()
for cmd in "${!apt_packages[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${apt_packages[$cmd]}")
done
for file in "${!apt_files[@]}"; do
  [ -e "$file" ] || missing+=("${apt_files[$file]}")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
