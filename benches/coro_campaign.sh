#!/bin/sh
# The order check's campaign, one line per run so that a campaign cut short still counts:
#   benches/coro_campaign.sh BIN LOAD TASKS GATHER FIRST_SEED LAST_SEED
# BIN is the bench binary (target/release/deps/coro-…, built by `cargo bench --bench coro
# --no-run`); LOAD is `quiet` or `busy` (two `sh -c 'while :; do :; done'` beside the runs,
# each bounded by `timeout`, stopped at the end). Each line: load, tasks, gather, seed, then
# the child's own line (total ns, longest delay ns, peak KiB, baseline KiB, failed checks —
# none when the report passed). A failing run's journal is kept under target/coro-campaign/.
# `cargo bench --bench coro -- --campaign` runs the whole campaign in one go, with a table.
set -eu
bin=$1 load=$2 tasks=$3 gather=$4 first=$5 last=$6
kept=$(dirname "$0")/../target/coro-campaign
mkdir -p "$kept"
loops=""
if [ "$load" = busy ]; then
    for _ in 1 2; do
        timeout 3600 sh -c 'while :; do :; done' &
        loops="$loops $!"
    done
fi
trap 'for p in $loops; do kill "$p" 2>/dev/null || true; done' EXIT
seed=$first
while [ "$seed" -le "$last" ]; do
    line=$(CORO_JOURNAL="$kept/$load-$tasks-$gather-$seed.txt" \
        timeout 600 "$bin" --child "$tasks" 1000000000 "$gather" "$seed")
    echo "$load $tasks $gather $seed $line ($(cut -d' ' -f1-3 /proc/loadavg))"
    seed=$((seed + 1))
done
