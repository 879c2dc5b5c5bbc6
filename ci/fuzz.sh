#!/usr/bin/env bash
# Bounded fuzzing run (docs/fuzzing.md).
#
#   ci/fuzz.sh [--jobs N] [--update-corpus] [--keep] SECONDS [FUZZER...]
#
# Builds the `fuzz` preset (clang 14, libFuzzer + ASan + UBSan) for the named fuzzers (default:
# every mpdrill_add_fuzzer in fuzz/*.cmake: codec, parser, model), then runs each for SECONDS
# on a scratch copy of corpus/<fuzzer>/ with its dictionary (fuzz/<name>.dict, or the dict of
# its first word: parser_roundtrip_fuzzer -> fuzz/parser.dict). Artifacts (crash-, leak-,
# timeout-, oom- files) go to a temporary directory, never into the repo; the repo's corpus is
# only changed with --update-corpus (libFuzzer -merge=1 of what the run found).
#
#   --jobs N         run N fuzzers at once (default 1; the machine has 2 cores)
#   --update-corpus  merge new coverage into corpus/<fuzzer>/ (named by SHA-1, as libFuzzer does)
#   --keep           keep the scratch directory even when nothing was found
#
# While the fuzzers run, a progress line on stderr when it is a terminal (never in a log). At
# the end a campaign report: per fuzzer CPU seconds, executions, executions/s, coverage,
# features, corpus size and findings; then each finding with what it is (the sanitizer's or
# the harness's first line), its reproducer and the replay command. The report is also written to
# SCRATCH/report.txt (the scratch directory is kept when there is a finding). A timeout-
# artifact is replayed three times first: one that runs within the timeout each time was the
# fuzzer stopped or starved (libFuzzer's alarm is wall-clock) and is listed, not counted.
# Exit codes: 0 no finding, 1 a finding, 2 usage, 3 a build or environment failure.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

jobs=1
update=0
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --jobs) jobs=${2:-}; shift 2 ;;
    --update-corpus) update=1; shift ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
if [ $# -lt 1 ] || ! [[ "$1" =~ ^[0-9]+$ ]] || [ "$1" -lt 1 ] || ! [[ "$jobs" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: ci/fuzz.sh [--jobs N] [--update-corpus] [--keep] SECONDS [FUZZER...]" >&2
  exit 2
fi
seconds=$1
shift

if [ $# -gt 0 ]; then
  fuzzers=("$@")
else
  mapfile -t fuzzers < <(sed -n 's/^mpdrill_add_fuzzer(\([A-Za-z0-9_]*\).*/\1/p' fuzz/*.cmake | sort -u)
fi
if [ ${#fuzzers[@]} -eq 0 ]; then
  echo "fuzz.sh: no fuzzers found in fuzz/*.cmake" >&2
  exit 2
fi
for f in "${fuzzers[@]}"; do
  if ! grep -qs "^mpdrill_add_fuzzer($f[ )]" fuzz/*.cmake; then
    echo "fuzz.sh: unknown fuzzer $f (not declared in fuzz/*.cmake)" >&2
    exit 2
  fi
done

command -v clang++-14 >/dev/null || { echo "fuzz.sh: clang++-14 missing (ci/setup.sh)" >&2; exit 3; }
echo "fuzz.sh: building ${fuzzers[*]} (preset fuzz)"
if ! cmake --preset fuzz >/tmp/mpdrill-fuzz-configure.log 2>&1; then
  cat /tmp/mpdrill-fuzz-configure.log >&2
  echo "fuzz.sh: configure failed" >&2
  exit 3
fi
if ! cmake --build --preset fuzz -j "${MPDRILL_BUILD_JOBS:-2}" --target "${fuzzers[@]}"; then
  echo "fuzz.sh: build failed" >&2
  exit 3
fi

bin_dir=$root/build/fuzz/fuzz
scratch=$(mktemp -d /tmp/mpdrill-fuzz.XXXXXX)
echo "fuzz.sh: ${seconds}s per fuzzer, scratch $scratch"

dict_for() {
  local name=${1%_fuzzer}
  if [ -f "fuzz/$name.dict" ]; then echo "$root/fuzz/$name.dict"
  elif [ -f "fuzz/${name%%_*}.dict" ]; then echo "$root/fuzz/${name%%_*}.dict"
  fi
}

run_one() {
  local f=$1 work=$scratch/$1
  mkdir -p "$work/corpus" "$work/artifacts"
  if [ -d "corpus/$f" ]; then cp -r "corpus/$f/." "$work/corpus/"; fi
  local dict args=()
  dict=$(dict_for "$f")
  [ -n "$dict" ] && args+=("-dict=$dict")
  # The outer timeout bounds a fuzzer that ignores -max_total_time (a hang in a single input is
  # caught by -timeout=10 and written as a timeout- artifact).
  # CPU seconds (user + system) of the fuzzer, what "an hour of fuzzing" is counted in: on a
  # loaded machine, or under nice, wall seconds overstate it.
  local TIMEFORMAT='%U %S' rc
  { time { timeout --kill-after=30 $((seconds + 120)) "$bin_dir/$f" -max_total_time="$seconds" \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
    "${args[@]}" "$work/corpus" >"$work/log" 2>&1; rc=$?; }; } 2>"$work/times"
  awk '{ printf "%d\n", $1 + $2 + 0.5 }' "$work/times" >"$work/cpu"
  echo "$rc" >"$work/rc"
}

# The last status line libFuzzer printed ("#N ... cov: C ft: F corp: K/..."), as "#N cov C ...".
last_status() {
  grep -aE '^#[0-9]+[[:space:]]' "$1" 2>/dev/null | tail -1 |
    sed -n 's/^\(#[0-9]*\).* cov: \([0-9]*\).* ft: \([0-9]*\).* corp: \([0-9]*\).*/\1 cov \2 ft \3 corpus \4/p'
}

# One line, rewritten in place, while a batch runs; only on a terminal.
campaign_start=$(date +%s)
wait_batch() {
  if [ ! -t 2 ]; then wait; return; fi
  while [ -n "$(jobs -rp)" ]; do
    local line="" f
    for f in "$@"; do
      [ -f "$scratch/$f/rc" ] && continue
      line+=" $f $(last_status "$scratch/$f/log");"
    done
    printf '\r\033[Kfuzz.sh: %ss/%ss per fuzzer:%s' "$(($(date +%s) - campaign_start))" \
      "$seconds" "${line:0:$((${COLUMNS:-160} - 30))}" >&2
    sleep 2
  done
  wait
  printf '\r\033[K' >&2
}

batch=()
for f in "${fuzzers[@]}"; do
  if [ ! -x "$bin_dir/$f" ]; then
    echo "fuzz.sh: $bin_dir/$f was not built" >&2
    exit 3
  fi
  run_one "$f" &
  batch+=("$f")
  if [ ${#batch[@]} -eq "$jobs" ]; then
    wait_batch "${batch[@]}"
    campaign_start=$(date +%s)
    batch=()
  fi
done
[ ${#batch[@]} -eq 0 ] || wait_batch "${batch[@]}"

# True when FUZZER runs the input ARTIFACT to completion three times, each inside -timeout.
replays_in_time() {
  local i
  for i in 1 2 3; do
    timeout 60 "$bin_dir/$1" -timeout=10 -rss_limit_mb=2048 "$2" >/dev/null 2>&1 || return 1
  done
}

status=0
report=$scratch/report.txt
details=$scratch/findings.txt
: >"$details"
{
  echo "fuzz.sh: campaign report: ${seconds}s per fuzzer, $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo '+changes'), $(date -u '+%Y-%m-%d %H:%M UTC')"
  printf '%-26s %4s %6s %12s %8s %6s %7s %7s %8s\n' fuzzer rc cpu-s executions exec/s cov ft corpus \
    findings
} >"$report"
for f in "${fuzzers[@]}"; do
  work=$scratch/$f
  rc=$(cat "$work/rc" 2>/dev/null || echo 99)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log" | tail -1)
  done_line=$(grep -aE '^#[0-9]+[[:space:]]+DONE' "$work/log" | tail -1)
  [ -n "$done_line" ] || done_line=$(grep -aE '^#[0-9]+[[:space:]]' "$work/log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$done_line")
  corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$done_line")
  mapfile -t artifacts < <(find "$work/artifacts" -type f \( -name 'crash-*' -o -name 'leak-*' \
    -o -name 'timeout-*' -o -name 'oom-*' \) 2>/dev/null | sort)
  # A timeout that does not come back -- three replays, each inside the -timeout -- was the
  # fuzzer stopped or starved, not its input: libFuzzer's alarm is wall-clock
  # (docs/fuzzing.md). Kept and listed, but no finding; a fuzzer that ended on it did not fail.
  findings=() unconfirmed=()
  for r in "${artifacts[@]}"; do
    if [[ $(basename "$r") == timeout-* ]] && replays_in_time "$f" "$r"; then
      unconfirmed+=("$r")
    else
      findings+=("$r")
    fi
  done
  verdict_rc=$rc
  [ ${#unconfirmed[@]} -gt 0 ] && [ ${#findings[@]} -eq 0 ] && [ "$rc" = 70 ] && verdict_rc=0
  if [ ${#unconfirmed[@]} -gt 0 ]; then
    keep=1
    {
      echo "$f: ${#unconfirmed[@]} timeout(s) that did not reproduce (3 replays each within -timeout=10: the fuzzer was stopped or starved), not findings:"
      for r in "${unconfirmed[@]}"; do echo "  $r"; done
    } >>"$details"
  fi
  cpu=$(cat "$work/cpu" 2>/dev/null)
  printf '%-26s %4s %6s %12s %8s %6s %7s %7s %8s\n' "$f" "$rc" "${cpu:-?}" "${execs:-?}" "${rate:-?}" \
    "${cov:-?}" "${ft:-?}" "${corp:-?}" "${#findings[@]}" >>"$report"
  if [ ${#findings[@]} -gt 0 ] || [ "$verdict_rc" != 0 ]; then
    status=1
    {
      echo "$f: exit $rc, log $work/log"
      # What it is: the sanitizer's report, the codec contract, or the rule the kernel broke.
      grep -aE '^(==[0-9]+==ERROR|SUMMARY|codec contract|  expected|live_fuzzer: model: [A-Z])' \
        "$work/log" | head -5 | sed 's/^/  /'
      for r in "${findings[@]}"; do
        echo "  reproducer: $r"
        echo "  replay:     $bin_dir/$f $r"
      done
      if [ "$f" = live_fuzzer ] && [ ${#findings[@]} -gt 0 ]; then
        echo "  triage:     MPDRILL_LIVE_FUZZ_VERBOSE=1 MPDRILL_LIVE_FUZZ_PCAP=/tmp/f.pcap $bin_dir/$f ${findings[0]}"
        echo "  as script:  build/default/cli/mpdrill fuzz minimize ${findings[0]}"
      fi
    } >>"$details"
  elif [ "$update" -eq 1 ]; then
    mkdir -p "corpus/$f"
    "$bin_dir/$f" -merge=1 -timeout=10 -rss_limit_mb=2048 "corpus/$f" "$work/corpus" \
      >>"$work/merge.log" 2>&1 || { echo "fuzz.sh: merge into corpus/$f failed" >&2; status=1; }
  fi
done
if [ -s "$details" ]; then
  { [ "$status" -eq 0 ] && echo "findings: none" || echo "findings:"; cat "$details"; } >>"$report"
else
  echo "findings: none" >>"$report"
fi
cat "$report"

if [ "$status" -eq 0 ] && [ "$keep" -eq 0 ]; then
  rm -rf "$scratch"
else
  echo "fuzz.sh: logs and artifacts kept in $scratch"
fi
exit "$status"
