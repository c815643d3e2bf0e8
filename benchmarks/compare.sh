#!/usr/bin/env bash
# Before/after comparison of the benchmark harness, on this machine, in one run:
#
#   benchmarks/compare.sh BASE_REV [--rounds N] [harness args...]
#   benchmarks/compare.sh 5037d22 --rounds 3 --scenarios=unary,streaming --transports=tcp
#
# Makes a git worktree of BASE_REV in a temporary directory outside the repository, builds its
# benchmarks module there and this checkout's (reactor builds with -am and -DskipTests; never
# install), then runs the two harnesses alternately, base then current, N rounds (default 2), with
# the same arguments, each run's output in a file of its own. Last it prints the key figures side by
# side (benchmarks/compare/CompareReports.java): unary p50, p99 and calls/s per system, transport and
# payload; streaming msgs/s and client and server CPU ns per message per variant and streams; fan-out
# msgs/s per subscriber and CPU ns per message per variant and subscribers; each the median over the
# rounds, with the ratio current/base.
# The worktree is removed at the end, whatever happens; the outputs stay (the last line says where).
#
# Environment: COMPARE_OUT=DIR keeps the outputs there instead of a fresh temporary directory.
# Exit code: 0 when every run succeeded, 1 when a run failed (its output says why), 2 on bad usage.
set -euo pipefail

usage() {
    sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

[[ $# -ge 1 && $1 != -* ]] || usage
base_rev=$1
shift
rounds=2
args=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --rounds) [[ $# -ge 2 ]] || usage; rounds=$2; shift 2 ;;
        --rounds=*) rounds=${1#--rounds=}; shift ;;
        *) args+=("$1"); shift ;;
    esac
done
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "--rounds must be a whole number of at least 1, got '$rounds'" >&2; exit 2; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(git -C "$here" rev-parse --show-toplevel)
base_commit=$(git -C "$repo" rev-parse --verify --quiet "$base_rev^{commit}") \
    || { echo "not a commit here: $base_rev" >&2; exit 2; }
current_commit=$(git -C "$repo" rev-parse HEAD)
dirty=$(git -C "$repo" status --porcelain --untracked-files=no | head -1)

work=$(mktemp -d "${TMPDIR:-/tmp}/framewire-compare.XXXXXX")
base_tree=$work/base
out=${COMPARE_OUT:-$work/out}
mkdir -p "$out"

cleanup() {
    if [[ -d $base_tree ]]; then
        git -C "$repo" worktree remove --force "$base_tree" || rm -rf "$base_tree"
    fi
    git -C "$repo" worktree prune
    rmdir "$work" 2>/dev/null || true # gone unless it holds the outputs
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "base    $base_rev = $base_commit, in a worktree at $base_tree"
echo "current $current_commit${dirty:+ plus uncommitted changes}, $repo"
echo "harness args: ${args[*]:-(none: the defaults)}; $rounds round(s), base then current; outputs in $out"
git -C "$repo" worktree add --quiet --detach "$base_tree" "$base_commit"

# A reactor build of the benchmarks module and what it needs, in one tree; never install, so nothing
# lands in the shared ~/.m2.
build() {
    local tree=$1 name=$2
    echo "building $name ..."
    (cd "$tree" && ./mvnw -q -B -pl benchmarks -am -DskipTests package) > "$out/build-$name.txt" 2>&1 \
        || { echo "the $name build failed:"; tail -40 "$out/build-$name.txt"; exit 1; }
}
build "$base_tree" base
build "$repo" current

# One harness run through the documented command (-Pbench), offline: the build above fetched everything.
failed=0
run() {
    local tree=$1 file=$2
    local started=$SECONDS
    if (cd "$tree" && ./mvnw -q -B -o -pl benchmarks -am -Pbench -DskipTests package "-Dbench.args=${args[*]}") > "$file" 2>&1; then
        echo "  $(basename "$file"): done in $((SECONDS - started)) s"
    else
        echo "  $(basename "$file"): FAILED (exit $?) after $((SECONDS - started)) s; see $file"
        failed=1
    fi
}
base_files=()
current_files=()
for ((round = 1; round <= rounds; round++)); do
    echo "round $round/$rounds"
    run "$base_tree" "$out/base-$round.txt"
    base_files+=("$out/base-$round.txt")
    run "$repo" "$out/current-$round.txt"
    current_files+=("$out/current-$round.txt")
done

echo
echo "Conditions of each run (JVM; load average at its start and end):"
for f in "${base_files[@]}" "${current_files[@]}"; do
    jvm=$(grep -m1 '^  JVM ' "$f" | sed 's/^  JVM *//; s/ (.*//' || true)
    load_start=$(grep -m1 -o 'load average [0-9.]* at start' "$f" | grep -o '[0-9.]*' || true)
    load_end=$(grep -m1 -o 'load average [0-9.]* at the end' "$f" | grep -o '[0-9.]*' || true)
    failures=$(grep -c '^FAILED' "$f" || true)
    printf '  %-14s JVM %-14s load %5s -> %5s%s\n' "$(basename "$f" .txt)" "${jvm:-?}" "${load_start:-?}" "${load_end:-?}" \
        "$([[ $failures -gt 0 ]] && echo "   $failures FAILED row(s)")"
done

java "$here/compare/CompareReports.java" --base "${base_files[@]}" --current "${current_files[@]}"
echo
echo "outputs: $out"
exit $failed
