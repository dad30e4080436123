#!/usr/bin/env bash
# Builds the voting page (voter-client/dist) from source, reproducibly: the same source and
# toolchain give byte-identical files in any directory on any machine. Their SHA-256 are published
# in voter-client/assets.sha256 (the page shows the .wasm's); `--check` fails if the build differs
# from them, `--update` rewrites them after a change to the page. Needs the wasm32-unknown-unknown
# target and wasm-bindgen-cli at the version Cargo.lock pins (the script says how to install either).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  echo "build-client: missing target; run: rustup target add wasm32-unknown-unknown" >&2
  exit 1
fi
if ! wasm-bindgen --version 2>/dev/null | grep -q " ${version}\$"; then
  echo "build-client: needs wasm-bindgen-cli ${version}; run: cargo install wasm-bindgen-cli --version ${version}" >&2
  exit 1
fi
cargo_home=${CARGO_HOME:-$HOME/.cargo}
# Paths that differ between machines must not reach the binary (panic locations name files).
export RUSTFLAGS="--remap-path-prefix=${cargo_home}=/cargo --remap-path-prefix=${root}=/thistle"
cargo build --locked --profile wasm -p voter-client --target wasm32-unknown-unknown
out=voter-client/dist
rm -rf "$out"
mkdir -p "$out"
wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section \
  --out-dir "$out" --out-name thistle \
  target/wasm32-unknown-unknown/wasm/voter_client.wasm
cp voter-client/static/index.html voter-client/static/style.css "$out"/
sums=$(cd "$out" && sha256sum thistle_bg.wasm thistle.js index.html style.css)
echo "$sums"
printf 'gzipped wasm: %s bytes\n' "$(gzip -9 -n -c "$out/thistle_bg.wasm" | wc -c)"
published=voter-client/assets.sha256
case "${1:-}" in
  --update) echo "$sums" > "$published"; echo "wrote $published" ;;
  --check)
    if ! diff <(echo "$sums") "$published"; then
      echo "build-client: the build differs from $published (rustc $(rustc --version)); if the page's source changed, run scripts/build-client.sh --update and commit it" >&2
      exit 1
    fi
    echo "the build matches $published" ;;
esac
