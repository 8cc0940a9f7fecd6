#!/usr/bin/env bash
# Are the library crates ready for crates.io? Fails loudly on the first problem.
#
# Checked:
#  1. Exactly the library crates are publishable (`publish = false` everywhere else), and
#     each one's package carries its README and both license files.
#  2. `cargo publish --dry-run --workspace`: packages statsd-proto, statsd-mapper and
#     statsd-exporter-core in dependency order and builds each from its .crate file against
#     the others' .crate files (cargo's local overlay registry), with crates.io for the
#     rest. Needs network access to crates.io (index and downloads), no token.
#  3. Documentation: `cargo doc --workspace --no-deps --all-features` with warnings denied
#     (broken intra-doc links, missing docs, bad HTML), then every doc test of the library
#     crates with all features, including each crate's README example.
#  4. MSRV (the workspace `rust-version`), as far as one toolchain can tell:
#     - clippy's `incompatible_msrv` lint, which reads `rust-version` and flags any use of a
#       std/core/alloc API stabilised after it, over the library crates with all features
#       and all targets;
#     - every resolved dependency that declares a `rust-version` declares one no newer;
#     - the one syntax feature of 1.90-1.95 that this code could plausibly pick up, `if let`
#       guards on match arms (1.95), is absent (a grep for `if let` outside statement
#       position), and every Cargo.toml is TOML 1.0 (cargo reads TOML 1.1 since 1.94;
#       checked with Python's tomllib, which reads 1.0 only).
#     NOT checked: other language changes after the MSRV, and lint or inference changes
#     between releases. Only a build with the MSRV toolchain checks those; run
#     `cargo +1.89 check --workspace --all-targets --all-features` where rustup can fetch it.
# Needs cargo 1.90 or newer (`cargo publish --workspace`), jq and python3 (3.11+).
set -euo pipefail
cd "$(dirname "$0")/.."

# The crates meant for crates.io, in dependency order.
libraries=(statsd-proto statsd-mapper statsd-exporter-core)

fail() {
  echo "package-check: FAILED: $*" >&2
  exit 1
}

command -v jq >/dev/null || fail "jq is missing (scripts/install-deps.sh installs it)"
command -v python3 >/dev/null || fail "python3 is missing (scripts/install-deps.sh installs it)"
metadata=$(cargo metadata --format-version 1 --locked)
msrv=$(jq -r '[.packages[] | select(.name == "statsd-proto")][0].rust_version' <<<"$metadata")

echo "== publishable crates"
publishable=$(jq -r '[.workspace_members as $m | .packages[]
    | select(.id as $id | $m | index($id)) | select(.publish == null) | .name] | sort | join(" ")' \
  <<<"$metadata")
expected=$(printf '%s\n' "${libraries[@]}" | sort | paste -sd' ')
[ "$publishable" = "$expected" ] ||
  fail "publishable workspace members are '$publishable', expected '$expected' (set publish = false or add the crate to this script)"
for crate in "${libraries[@]}"; do
  files=$(cargo package --list --allow-dirty --locked -p "$crate")
  for file in README.md LICENSE-MIT LICENSE-APACHE Cargo.toml; do
    grep -qx "$file" <<<"$files" || fail "$crate: $file is not in the package"
  done
  for field in description license repository readme rust_version; do
    value=$(jq -r --arg c "$crate" --arg f "$field" \
      '[.packages[] | select(.name == $c)][0][$f] // empty' <<<"$metadata")
    [ -n "$value" ] || fail "$crate: Cargo.toml has no $field"
  done
  echo "$crate: $(wc -l <<<"$files") files, README and licenses included"
done

echo "== cargo publish --dry-run --workspace"
# --allow-dirty: a dry run of a working tree is still worth running; a real publish is done
# from a clean tag without it.
log=$(mktemp)
publish_target=$(mktemp -d)
trap 'rm -rf "$log" "$publish_target"' EXIT
# Cargo treats a registry crate of a given name and version as immutable: it unpacks the
# overlay registry's .crate files under $CARGO_HOME/registry/src/-<hash>/ only once, and
# keeps what it compiled from them in the target directory. A second run (same checkout
# path, code changed since) would verify against the first run's sources, so both go:
# the overlay's unpacked copies (crates.io's directory is index.crates.io-*) and, through
# a target directory of its own, the artifacts.
registry_src=${CARGO_HOME:-$HOME/.cargo}/registry/src
for crate in "${libraries[@]}"; do
  rm -rf "$registry_src"/-*/"$crate"-[0-9]*
done
if ! CARGO_TARGET_DIR=$publish_target cargo publish --dry-run --workspace --locked --allow-dirty 2>&1 | tee "$log"; then
  fail "cargo publish --dry-run"
fi
for crate in "${libraries[@]}"; do
  grep -q "Uploading $crate v" "$log" || fail "the dry run did not reach the upload of $crate"
done
# Allowed: the dry run's own notice, and statsd-mapper's tests, excluded from its package on
# purpose (they read the repository's examples/mastodon mapping; see its Cargo.toml).
if grep -E '^warning: ' "$log" | grep -vE 'aborting upload due to dry run|^warning: ignoring test `(main|alloc)` as `tests/(main|alloc)\.rs` is not included in the published package$'; then
  fail "cargo publish --dry-run warned (above)"
fi

echo "== cargo doc (warnings denied) and doc tests"
# -D warnings covers rustdoc; cargo's own warnings (e.g. two targets writing the same doc
# folder) are checked in its output.
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --all-features --locked 2>&1 | tee "$log"
if grep -E '^warning' "$log"; then
  fail "cargo doc warned (above)"
fi
lib_args=()
for crate in "${libraries[@]}"; do lib_args+=(-p "$crate"); done
cargo test --doc --all-features --locked "${lib_args[@]}"

echo "== MSRV $msrv: clippy incompatible_msrv (std API stability) and dependency rust-version"
cargo clippy --all-targets --all-features --locked "${lib_args[@]}" -- -D warnings -D clippy::incompatible_msrv
too_new=$(jq -r --arg msrv "$msrv" '
    def v: split(".") | map(tonumber) + [0, 0, 0] | .[0:3];
    .packages[] | select(.rust_version != null) | select((.rust_version | v) > ($msrv | v))
    | "\(.name) \(.version) needs rustc \(.rust_version)"' <<<"$metadata")
[ -z "$too_new" ] || fail "dependencies newer than the MSRV $msrv:"$'\n'"$too_new"
guards=$(git ls-files '*.rs' | xargs grep -nE '\bif let\b' |
  grep -vE ':\s*(\} )?(else )?if let\b|[=(,]\s*if let\b|=> if let|return if let|//' || true)
[ -z "$guards" ] || fail "\`if let\` guards (Rust 1.95) or an unusual \`if let\`:"$'\n'"$guards"
git ls-files '*Cargo.toml' | python3 -c '
import sys, tomllib
for path in sys.stdin.read().split():
    with open(path, "rb") as f:
        try:
            tomllib.load(f)
        except tomllib.TOMLDecodeError as e:
            sys.exit(f"{path} is not TOML 1.0 (cargo before 1.94 cannot read it): {e}")
' || fail "a manifest needs TOML 1.1"
undeclared=$(jq -r '[.packages[] | select(.rust_version == null)] | length' <<<"$metadata")
echo "every dependency that declares a rust-version accepts $msrv ($undeclared declare none)"
echo "package-check: OK"
