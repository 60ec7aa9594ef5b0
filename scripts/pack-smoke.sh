#!/usr/bin/env bash
# The package as users get it (issue 18): `npm pack`, install the tarball globally into a throwaway
# prefix, and run `migrate demo` from an empty directory, outside the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/migrate-pack.XXXXXX)
trap 'rm -rf "$work"' EXIT
npm pack --silent --pack-destination "$work" >/dev/null
tarball=$(ls "$work"/migrate-*.tgz)
npm install -g --prefix "$work/prefix" --no-audit --no-fund --loglevel=error "$tarball" >/dev/null
mkdir "$work/empty"
cd "$work/empty"
"$work/prefix/bin/migrate" --version
"$work/prefix/bin/migrate" demo --users 50 --json > demo.json
node -e 'const d = JSON.parse(require("fs").readFileSync("demo.json", "utf8")); if (d.ok !== true) { console.error(d); process.exit(1); } console.log("pack-smoke: migrate demo ran from the installed tarball:", JSON.stringify(d).slice(0, 160));'
