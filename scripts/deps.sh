#!/usr/bin/env bash
# Installs what `make test` and `make demo` need and a fresh machine may lack. Idempotent: when
# everything is present it only checks, in well under a second.
set -euo pipefail

need_apt=()
have() { command -v "$1" >/dev/null 2>&1; }

have cargo || { echo "deps: cargo (Rust) is required: install rustup's stable toolchain" >&2; exit 1; }
cargo fmt --version >/dev/null 2>&1 || rustup component add rustfmt
cargo clippy --version >/dev/null 2>&1 || rustup component add clippy
have cc || need_apt+=(build-essential)
have pkg-config || need_apt+=(pkg-config)
have redis-server || [ -x /usr/bin/redis-server ] || need_apt+=(redis-server)

if [ ${#need_apt[@]} -gt 0 ]; then
  echo "deps: installing ${need_apt[*]} from Debian's packages"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}"
fi
