#!/bin/bash -eu
# ClusterFuzzLite / OSS-Fuzz build (docs/fuzzing.md): builds the offline fuzz targets (codec,
# parser, model: CMake target `offline_fuzzers`) with the project's own CMake, using the
# environment OSS-Fuzz sets: $CXX, $CXXFLAGS ($CC and $CFLAGS too, though mpdrill is C++ only),
# $LIB_FUZZING_ENGINE (what the targets link with), $SRC (the checkout is $SRC/mpdrill), $WORK
# (the build tree) and $OUT. Each fuzzer lands in $OUT with <name>_seed_corpus.zip (corpus/<name>/),
# <name>.dict (fuzz/<name>.dict, or the dict of the name's first word) when there is one, and
# <name>.options. CMAKE_CXX_COMPILER_LAUNCHER (e.g. ccache) is honoured when set.
src=${MPDRILL_SRC:-$SRC/mpdrill}
build=$WORK/mpdrill-build
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)

cmake -S "$src" -B "$build" "${generator[@]}" \
  -DCMAKE_BUILD_TYPE= \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_CXX_FLAGS="$CXXFLAGS" \
  -DMPDRILL_FUZZ=ON -DMPDRILL_LIB_FUZZING_ENGINE="$LIB_FUZZING_ENGINE" -DMPDRILL_BENCH=OFF
cmake --build "$build" --target offline_fuzzers -j "$(nproc)"

dict_for() {
  local name=${1%_fuzzer}
  if [ -f "$src/fuzz/$name.dict" ]; then echo "$src/fuzz/$name.dict"
  elif [ -f "$src/fuzz/${name%%_*}.dict" ]; then echo "$src/fuzz/${name%%_*}.dict"
  fi
}

while read -r f; do
  [ -n "$f" ] || continue
  cp "$build/fuzz/$f" "$OUT/$f"
  rm -f "$OUT/${f}_seed_corpus.zip"
  if [ -d "$src/corpus/$f" ]; then
    (cd "$src/corpus/$f" && zip -q -r -X "$OUT/${f}_seed_corpus.zip" .)
  fi
  dict=$(dict_for "$f")
  {
    echo "[libfuzzer]"
    # As ci/fuzz.sh runs them: a 10 s hang is a finding, and the RSS bound.
    echo "timeout = 10"
    echo "rss_limit_mb = 2048"
    if [ -n "$dict" ]; then
      cp "$dict" "$OUT/$f.dict"
      echo "dict = $f.dict"
    fi
  } >"$OUT/$f.options"
done <"$build/fuzz/offline_fuzzers.txt"
