#!/usr/bin/env bash
# GitHub discovery (issue 4): an organisation of 2 000 repositories, 1 800 of them with a catalog
# file, behind the local GitHub API the tests use (real response shapes and pagination). Times
# the first discovery (20 list pages, 2 000 contents checks, 1 800 locations registered) and a
# second one with nothing new, on SQLite and PostgreSQL, in a release build.
# Prints one line per figure. Run through `./x bench github`.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo xtask build-site --release >/dev/null 2>&1
cargo test --release -p server --test github bench_discovery -- --ignored --nocapture 2>/dev/null \
  | grep -E '^(sqlite|postgres):'
