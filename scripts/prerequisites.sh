#!/usr/bin/env bash
# Brings this machine to what the tests need, saying what it does as it goes, and stops with one
# sentence where it cannot: the wasm32 target, wasm-bindgen-cli at the version Cargo.lock pins,
# Debian's chromium and chromedriver (the voting page is tested in a real headless browser), and a
# running PostgreSQL at DATABASE_URL (started if it is installed here and down). Nothing is
# skipped: a part that cannot be had is a failure. Called by scripts/test-all.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf 'prerequisites: %s\n' "$*"; }
fail() { printf 'prerequisites: %s\n' "$*" >&2; exit 1; }

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target (the voting page is WebAssembly)"
  rustup target add wasm32-unknown-unknown >/dev/null || fail "could not add the wasm32-unknown-unknown target with rustup; run: rustup target add wasm32-unknown-unknown"
fi

version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if ! wasm-bindgen --version 2>/dev/null | grep -q " ${version}\$"; then
  say "installing wasm-bindgen-cli ${version}, the version Cargo.lock pins (about 4 minutes on 2 cores)"
  cargo install --quiet wasm-bindgen-cli --version "$version" \
    || fail "could not install wasm-bindgen-cli ${version}; run: cargo install wasm-bindgen-cli --version ${version}"
fi

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian's chromium and chromium-driver (the voting page's browser tests)"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver >/dev/null \
      || fail "apt-get could not install chromium and chromium-driver"
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null && command -v apt-get >/dev/null; then
    say "installing Debian's chromium and chromium-driver with sudo"
    sudo -n apt-get update -q >/dev/null
    sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver >/dev/null \
      || fail "apt-get could not install chromium and chromium-driver"
  else
    fail "chromium and chromedriver are missing and this user cannot install packages; as root run: apt-get install chromium chromium-driver"
  fi
fi

export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
if ! pg_isready -q -d "$DATABASE_URL" 2>/dev/null; then
  if ls /etc/postgresql >/dev/null 2>&1 && command -v pg_ctlcluster >/dev/null; then
    say "starting the local PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start >/dev/null 2>&1 || true
    for _ in $(seq 30); do pg_isready -q -d "$DATABASE_URL" && break; sleep 1; done
  fi
  pg_isready -q -d "$DATABASE_URL" 2>/dev/null \
    || fail "no PostgreSQL answers at $DATABASE_URL; start one, or set DATABASE_URL to a server the tests may use"
fi
say "ready: $(rustc --version | cut -d' ' -f1-2), wasm-bindgen $version, $(chromium --version 2>/dev/null | head -1), PostgreSQL at $DATABASE_URL"
