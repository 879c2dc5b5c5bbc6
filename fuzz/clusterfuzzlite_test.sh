#!/usr/bin/env bash
# ctest clusterfuzzlite.build (docs/fuzzing.md): runs .clusterfuzzlite/build.sh the way
# OSS-Fuzz / ClusterFuzzLite do (clang 14, ASan, libFuzzer; $SRC, $WORK, $OUT temporary
# directories), then runs each fuzzer it put in $OUT for 3 seconds on its unzipped seed corpus
# with its dictionary, and checks it started, read the corpus and exited 0.
#   fuzz/clusterfuzzlite_test.sh SOURCE_DIR
# Exit 0 pass, 1 fail, 77 skipped (clang++-14 or libFuzzer missing; the reason is printed).
set -uo pipefail
src=$(cd "${1:?usage: clusterfuzzlite_test.sh SOURCE_DIR}" && pwd)

skip() { echo "clusterfuzzlite_test: skipped: $*"; exit 77; }
fail() { echo "clusterfuzzlite_test: FAIL: $*" >&2; exit 1; }
for tool in clang-14 clang++-14 zip unzip; do
  command -v "$tool" >/dev/null || skip "$tool is not installed (ci/setup.sh)"
done

tmp=$(mktemp -d /tmp/mpdrill-cflite.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' \
  >"$tmp/probe.cc"
clang++-14 -fsanitize=address,fuzzer "$tmp/probe.cc" -o "$tmp/probe" >"$tmp/probe.log" 2>&1 ||
  skip "clang++-14 cannot link a libFuzzer target (libfuzzer-14-dev, libclang-rt-14-dev): $(head -c 300 "$tmp/probe.log")"

mkdir -p "$tmp/src" "$tmp/work" "$tmp/out"
ln -s "$src" "$tmp/src/mpdrill"
# What OSS-Fuzz's base-builder sets for a libFuzzer + ASan build.
export CC=clang-14 CXX=clang++-14
export CFLAGS="-O1 -fno-omit-frame-pointer -gline-tables-only -fsanitize=address -fsanitize-address-use-after-scope -fsanitize=fuzzer-no-link"
export CXXFLAGS="$CFLAGS"
export LIB_FUZZING_ENGINE=-fsanitize=fuzzer
export SRC=$tmp/src WORK=$tmp/work OUT=$tmp/out
start=$(date +%s)
(cd "$SRC/mpdrill" && bash "$src/.clusterfuzzlite/build.sh") >"$tmp/build.log" 2>&1 || {
  tail -40 "$tmp/build.log" >&2
  fail "build.sh failed"
}
echo "clusterfuzzlite_test: build.sh took $(($(date +%s) - start)) s"

fuzzers=()
for f in "$OUT"/*; do
  [ -f "$f" ] && [ -x "$f" ] && fuzzers+=("$(basename "$f")")
done
[ ${#fuzzers[@]} -gt 0 ] || fail "no fuzzer in \$OUT"
for f in "${fuzzers[@]}"; do
  [ "$f" != live_fuzzer ] || fail "live_fuzzer (needs the kernel) is in \$OUT"
  [ -s "$OUT/${f}_seed_corpus.zip" ] || fail "$f: no ${f}_seed_corpus.zip"
  [ -s "$OUT/$f.options" ] || fail "$f: no $f.options"
  mkdir -p "$tmp/corpus/$f"
  unzip -q "$OUT/${f}_seed_corpus.zip" -d "$tmp/corpus/$f" || fail "$f: bad seed corpus zip"
  seeds=$(find "$tmp/corpus/$f" -type f | wc -l)
  args=()
  if grep -q '^dict = ' "$OUT/$f.options"; then
    [ -s "$OUT/$f.dict" ] || fail "$f: $f.options names a dict that is not in \$OUT"
    args+=("-dict=$OUT/$f.dict")
  fi
  (cd "$OUT" && "./$f" -max_total_time=3 -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 "${args[@]}" \
    -artifact_prefix="$tmp/" "$tmp/corpus/$f") >"$tmp/$f.log" 2>&1
  rc=$?
  [ "$rc" -eq 0 ] || { tail -30 "$tmp/$f.log" >&2; fail "$f exited $rc"; }
  grep -q "INFO: seed corpus: files: $seeds " "$tmp/$f.log" ||
    { tail -30 "$tmp/$f.log" >&2; fail "$f did not read its $seeds seeds"; }
  grep -Eq '^#[0-9]+[[:space:]]+INITED' "$tmp/$f.log" || fail "$f: no INITED line"
  [ ${#args[@]} -eq 0 ] || grep -q 'Dictionary: [1-9][0-9]* entries' "$tmp/$f.log" ||
    fail "$f: dictionary not loaded"
  echo "clusterfuzzlite_test: $f ok ($seeds seeds, $(sed -n 's/^stat::number_of_executed_units: *//p' "$tmp/$f.log") executions)"
done
echo "clusterfuzzlite_test: ${#fuzzers[@]} fuzzers built and run"
