#!/usr/bin/env node
// The `taskq` command. A file of its own, present before the package is built, so that
// installing a workspace (or a git checkout) can link the bin without a warning.
import "../dist/cli.js";
