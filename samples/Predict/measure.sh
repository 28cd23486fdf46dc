#!/usr/bin/env bash
# Binary size and start-up time of samples/Predict: the NativeAOT binary (default instruction set, and the build
# machine's own with IlcInstructionSet=native) against the JIT build. Prints one JSON line per build and verb, and
# whether each build's predictions are bit-identical to the JIT's.
#   bash samples/Predict/measure.sh [runs]        (default 20 runs per measurement; median and min reported)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
runs="${1:-20}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

dotnet build samples/Predict -c Release -nologo -v q -nodeReuse:false >/dev/null
jit_dll="$(find samples/Predict/bin/Release -name Predict.dll | head -n 1)"
dotnet "$jit_dll" train --out "$work/model" >/dev/null
head -n 2 "$work/model/test-rows.csv" >"$work/one-row.csv"
dotnet publish samples/Predict -c Release -o "$work/aot" -nologo -v q -nodeReuse:false >/dev/null
dotnet publish samples/Predict -c Release -o "$work/aot-native" -p:IlcInstructionSet=native -nologo -v q -nodeReuse:false >/dev/null

# Milliseconds of wall time for one run of the command, from fork to exit.
wall_ms() {
    local start end
    start=$(date +%s%N)
    "$@" >/dev/null
    end=$(date +%s%N)
    echo $(((end - start) / 1000))
}

# "median min" in milliseconds over $runs runs (after one warm-up run that fills the page cache).
timing() {
    "$@" >/dev/null
    for _ in $(seq "$runs"); do wall_ms "$@"; done | sort -n | awk '{ t[NR] = $1 } END { m = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2; printf "%.1f %.1f", m / 1000, t[1] / 1000 }'
}

jit_folder="$(dirname "$jit_dll")"
jit_bytes=$(du -cb "$jit_folder/Predict.dll" "$jit_folder/TumourModel.dll" "$jit_folder/ModelGen.dll" | tail -n 1 | cut -f1)
reference="$(dotnet "$jit_dll" predict "$work/model/tumour.safetensors" "$work/model/test-rows.csv")"
for build in jit aot aot-native; do
    case "$build" in
        jit) cmd=(dotnet "$jit_dll"); bytes=$jit_bytes; what="Predict.dll, TumourModel.dll and ModelGen.dll (IL), run by a .NET runtime" ;;
        aot) cmd=("$work/aot/Predict"); bytes=$(stat -c %s "$work/aot/Predict"); what="one self-contained native file" ;;
        aot-native) cmd=("$work/aot-native/Predict"); bytes=$(stat -c %s "$work/aot-native/Predict"); what="one self-contained native file, IlcInstructionSet=native" ;;
    esac
    isa="$("${cmd[@]}" info)"
    same=false
    [ "$("${cmd[@]}" predict "$work/model/tumour.safetensors" "$work/model/test-rows.csv")" = "$reference" ] && same=true
    read -r info_median info_min <<<"$(timing "${cmd[@]}" info)"
    read -r predict_median predict_min <<<"$(timing "${cmd[@]}" predict "$work/model/tumour.safetensors" "$work/one-row.csv")"
    printf '{"app": "predict", "build": "%s", "bytes": %s, "what": "%s", "runs": %s, "startup_info_ms_median": %s, "startup_info_ms_min": %s, "load_and_predict_1_row_ms_median": %s, "load_and_predict_1_row_ms_min": %s, "bit_identical_to_jit": %s, "isa": %s}\n' \
        "$build" "$bytes" "$what" "$runs" "$info_median" "$info_min" "$predict_median" "$predict_min" "$same" "$isa"
done
