#!/usr/bin/env bash
# Build the extension in place for development, one build at a time (several people or helpers
# may share this tree). Extra environment (CONVKIT_DEBUG, CONVKIT_SANITIZE) passes through.
set -euo pipefail
cd "$(dirname "$0")/.."
exec flock /tmp/convkit-build.lock python setup.py -q build_ext --inplace -j 2 "$@"
