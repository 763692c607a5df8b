#!/usr/bin/env bash
# Old code against new on copies of one generated directory: the first audit, a check of every entry (it makes the
# digests), three unchanged re-audits, then three times 10 entries edited (run.py's edit_entries) and the audit
# after it, alternating old and new. One line per command: wall and CPU seconds (user + system), peak RSS, findings.
# The directories are named by absolute paths, as bench/run.py names them: before 38ab472 the digests a `check` made
# were keyed by the path as given, and an audit of a relative path never used them.
#
#   git archive <old commit> | tar -x -C /tmp/old-tree
#   bench/paired.sh /tmp/old-tree [N]        # from the repository's root; N defaults to 50000
set -u
OLD_TREE=${1:?"give the old code's tree: git archive COMMIT | tar -x -C /tmp/old-tree"}
N=${2:-50000}
HERE=$(cd "$(dirname "$0")/.." && pwd)
unset PYTHONDONTWRITEBYTECODE  # bytecode kept, as an installed tool has it
M=$HERE/.venv/bin/python
A=(--as-of 2026-11-28 --offline)
WORK=$(mktemp -d /tmp/auditor-paired-XXXXXX)
cd "$WORK"  # not the repository: `python -m` puts the working folder first on the path
$M "$HERE/bench/generate.py" "$N" base --seed 1 >/dev/null
$M "$HERE/bench/git_history.py" commit base >/dev/null 2>&1
cp -a base old; cp -a base new
run() {  # label code args...
  local label=$1 code=$2; shift 2
  local env=(); [ "$code" = old ] && env=(env "PYTHONPATH=$OLD_TREE")
  local start load
  start=$(date +%T); load=$(cut -d' ' -f1 /proc/loadavg)
  /usr/bin/time -f "%e %U %S %M" -o time.txt "${env[@]}" "$M" -m auditor "$@" >out.txt 2>&1
  local figures; figures=$(tail -n 1 time.txt)  # `time` first notes a non-zero exit (check's findings) on its own line
  echo "$label $code start=$start load=$load $(echo "$figures" | awk '{printf "wall=%s cpu=%.2f rss_mb=%d", $1, $2+$3, $4/1024}') $(grep -o 'Findings: [0-9]*' out.txt | head -n 1)"
}
for code in old new; do run audit $code audit "$WORK/$code" "${A[@]}"; done
for code in old new; do run check $code check "$WORK/$code" "${A[@]}" --format json; done
for _ in 1 2 3; do for code in old new; do run re-audit $code audit "$WORK/$code" "${A[@]}"; done; done
for _ in 1 2 3; do
  for code in old new; do
    $M -c "import sys; sys.path.insert(0, '$HERE/bench'); from pathlib import Path; from run import edit_entries; edit_entries(Path('$code'))"
  done
  sleep 2.2  # past the caches' racy window, as a week of editing is
  for code in old new; do run audit-10 $code audit "$WORK/$code" "${A[@]}"; done
done
echo "kept in $WORK (remove it when done)"
