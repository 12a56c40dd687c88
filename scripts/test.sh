#!/usr/bin/env bash
# The whole test suite, as CI runs it: build every package, typecheck, lint, then every
# package's tests (vitest projects). Servers that tests need are started by the tests
# themselves; scripts/ensure-servers.sh installs the Debian packages they come from.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-servers.sh
pnpm build
pnpm typecheck
pnpm lint
pnpm exec vitest run
