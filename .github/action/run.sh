#!/usr/bin/env bash
# The step of the composex GitHub Action that runs composex: the action's
# inputs arrive as INPUT_* variables, the binary as $COMPOSEX. It writes the
# SARIF log, prints each problem as a workflow annotation (so it shows on the
# pull request even without code scanning), and records the exit status in
# $GITHUB_OUTPUT; it exits 0 itself so that the upload step still runs.
set -uo pipefail

composex="${COMPOSEX:-composex}"
command="${INPUT_COMMAND:-validate}"
sarif="${INPUT_SARIF_FILE:-composex.sarif}"
out="${GITHUB_OUTPUT:-/dev/null}"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
case "$command" in
  validate) cmd=(validate); again=(validate) ;;
  # The annotation run renders again into a scratch directory.
  render) cmd=(render -o "${INPUT_OUTPUT_DIR:-out}"); again=(render -o "$scratch/out") ;;
  *) echo "::error title=composex action::input command must be validate or render, not '$command'"
     echo "exit-code=1" >> "$out"; exit 0 ;;
esac

# Word splitting of files and args is intended: they are space-separated lists.
# shellcheck disable=SC2206
extra=(${INPUT_ARGS:-} ${INPUT_FILES:-})

"$composex" "${cmd[@]}" --diagnostics sarif "${extra[@]}" 2> "$sarif"
code=$?
# The same problems as workflow annotations (GitHub shows the first few
# hundred of a step; the rest are in the SARIF log).
"$composex" "${again[@]}" --diagnostics github "${extra[@]}" 2>&1 >/dev/null | head -n 200

if ! grep -q '"version": *"2.1.0"' "$sarif"; then
  # composex failed before it could write SARIF (a bad argument): show why.
  cat "$sarif" >&2
  echo "sarif-file=" >> "$out"
else
  echo "sarif-file=$sarif" >> "$out"
fi
echo "exit-code=$code" >> "$out"
exit 0
