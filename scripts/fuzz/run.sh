#!/usr/bin/env bash
# Fuzzes every parser of outside data with libFuzzer (and AddressSanitizer).
#
#   scripts/fuzz/run.sh [SECONDS_PER_TARGET] [TARGET ...]
#
# Targets: miranda push sdp graph config errorbody token p2ptoken stun (default: all), 30 s each by default; CI runs a short
# budget, run it for hours by hand. Seeds are in Tests/Fixtures/fuzz-corpus/<target>/; the growing corpus is kept in
# .build-fuzz/corpus/<target>/. A crash, a hang (10 s) or an input that needs more than 2 GiB stops the run: the
# input is saved in .build-fuzz/findings/<target>/. Fix the bug, then add the input to the target's seed folder, where
# the test suite replays it for good (FuzzCorpusTests).
set -euo pipefail
cd "$(dirname "$0")/../.."

budget="${1:-30}"
shift || true
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then targets=(miranda push sdp graph config errorbody token p2ptoken stun); fi
scratch=.build-fuzz

echo "== building partybus-fuzz with -sanitize=fuzzer,address (scratch $scratch)"
swift build --scratch-path "$scratch" --product partybus-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING
binary="$scratch/debug/partybus-fuzz"

status=0
for target in "${targets[@]}"; do
    seeds="Tests/Fixtures/fuzz-corpus/$target"
    [ -d "$seeds" ] || { echo "unknown target '$target' (no $seeds)" >&2; exit 2; }
    corpus="$scratch/corpus/$target"
    findings="$scratch/findings/$target"
    mkdir -p "$corpus" "$findings"
    echo "== $target: ${budget}s"
    if ! PB_FUZZ_TARGET="$target" ASAN_OPTIONS=detect_leaks=0 "$binary" \
        -max_total_time="$budget" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -artifact_prefix="$findings/" -print_final_stats=1 "$corpus" "$seeds" 2>"$scratch/$target.log"; then
        echo "!! $target: a finding; see $scratch/$target.log and $findings/" >&2
        tail -n 40 "$scratch/$target.log" >&2
        status=1
    else
        grep -E "^stat::number_of_executed_units|^stat::new_units_added" "$scratch/$target.log" | sed "s/^/   /"
    fi
done
exit "$status"
