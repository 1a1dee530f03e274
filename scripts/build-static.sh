#!/usr/bin/env bash
# Builds a statically linked `apolint` for Linux (glibc), for machines that
# start it once per draft: a help desk's pre-send `apolint hook`, an editor
# or script calling `apolint check` on one reply.
#
#   scripts/build-static.sh            # -> target/static/release/apolint
#
# Without the dynamic loader and its shared libraries a start is ~0.4 ms
# shorter on the test VM (`--version` 1.18 -> 0.78 ms, a short draft 1.99
# -> 1.54 ms, paired-run medians; issue #19), and the binary runs on Linux
# machines whatever their C library's version.
#
# Only the `apolint` binary is built with the static C runtime (`cargo rustc`
# passes the flags to that crate alone): set for every crate, as
# RUSTFLAGS or in .cargo/config.toml, they would also reach the proc-macro
# crates (serde's derive), which cannot be built that way on a host build.
# So `cargo install` and `cargo build` keep the usual dynamically linked
# binary, and this script is the way to the static one.
#
# The static binary reads no user database (no home-directory lookup) and
# resolves no host names (`serve --listen` takes an address), the two
# things a statically linked glibc program would need shared libraries for.
set -euo pipefail
cd "$(dirname "$0")/.."

host=$(rustc -vV | sed -n 's/^host: //p')
case $host in
*-linux-gnu) ;;
*)
    echo "build-static.sh builds for Linux with glibc; this host is $host." >&2
    echo "Use 'cargo install --locked --path .' here." >&2
    exit 2
    ;;
esac

target_dir=${CARGO_TARGET_DIR:-target}/static
CARGO_TARGET_DIR=$target_dir cargo rustc --locked --release --bin apolint -- \
    -C target-feature=+crt-static -C relocation-model=static
binary=$target_dir/release/apolint

# A binary that still names an interpreter is not static (a half-static
# link starts and crashes).
if readelf -l "$binary" 2>/dev/null | grep -q 'Requesting program interpreter'; then
    echo "build-static.sh: $binary is dynamically linked" >&2
    exit 1
fi
"$binary" --version >/dev/null
echo "$binary"
