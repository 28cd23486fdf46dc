#!/usr/bin/env bash
# Runs ModelGen's benchmark and both peers on this machine, in one run, and prints for each (model, mode, batch)
# ModelGen's samples/s, each peer's, the ratio to each and to the better peer (> 1: ModelGen is faster).
#   PyTorch (../shared/bench/torch_peer.py, Debian's python3-torch) runs twice, as installed and with
#   OPENBLAS_NUM_THREADS=1 (Debian's OpenBLAS thread pool competes with PyTorch's OpenMP threads on small
#   machines); the better of its two figures counts.
#   TorchSharp (../shared/bench/torchsharp/run.sh, libtorch through .NET) builds in $TMPDIR from the NuGet mirror.
# Each side runs every model in one process, one side after the other. (Running the models one per process, each
# followed by its peers, halved some of the peers' figures: a peer's first model in a process runs cold.)
# A peer that fails is reported with its error on stderr and shown as "-"; the others still compare.
# ModelGen's run ends with the "gemm" line: the GEMM at 1024³ on one thread next to the register-only FMA peak; the
# training lines of digits-mlp and mnist-mlp carry their GFLOP/s and fraction of the two-thread peak, printed at the end.
#   [MODELS=digits-mlp,wide-deep] [OUT=samples/Bench/results/x.txt] [AVX2_ONLY=1] samples/Bench/compare.sh [extra args for all, e.g. --threads 2]
# AVX2_ONLY=1 runs every side as on a machine without AVX-512: .NET with DOTNET_EnableAVX512=0, PyTorch and libtorch with
# ATEN_CPU_CAPABILITY=avx2, MKL_ENABLE_INSTRUCTIONS=AVX2 and DNNL_MAX_CPU_ISA=AVX2, OpenBLAS with OPENBLAS_CORETYPE=Haswell.
# The first line is the machine and its load (uptime): figures taken while other work runs are noisy.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
shared=${SHARED_BENCH:-$root/../shared/bench}
models=${MODELS:-digits-mlp,mnist-mlp,lenet5,tiny-transformer,wide-deep}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

machine() { echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); uptime:$(uptime | sed 's/.*up/ up/')"; }

dotnet build -c Release "$root/samples/Bench" >/dev/null
if [ "${AVX2_ONLY:-0}" = 1 ]; then
    export DOTNET_EnableAVX512=0 ATEN_CPU_CAPABILITY=avx2 MKL_ENABLE_INSTRUCTIONS=AVX2 DNNL_MAX_CPU_ISA=AVX2 OPENBLAS_CORETYPE=Haswell
    echo "# AVX2_ONLY: DOTNET_EnableAVX512=0 ATEN_CPU_CAPABILITY=avx2 MKL_ENABLE_INSTRUCTIONS=AVX2 DNNL_MAX_CPU_ISA=AVX2 OPENBLAS_CORETYPE=Haswell" > "$log"
fi
machine | tee -a "$log" >&2
ours=$(dotnet "$root/samples/Bench/bin/Release/net10.0/Bench.dll" --models "$models,gemm" "$@")
pytorch=""
if ! pytorch=$(/usr/bin/python3 "$shared/torch_peer.py" --models "$models" "$@" && OPENBLAS_NUM_THREADS=1 /usr/bin/python3 "$shared/torch_peer.py" --models "$models" "$@" | sed 's/"peer": "\([^"]*\)"/"peer": "\1+openblas1"/'); then
    echo "PyTorch peer failed (see above); its column is empty." >&2
fi
torchsharp=""
if ! torchsharp=$(bash "$shared/torchsharp/run.sh" --models "$models" "$@" 2>"$log.ts"); then
    echo "TorchSharp peer failed:" >&2; tail -n 20 "$log.ts" >&2
    torchsharp=""
fi
rm -f "$log.ts"
machine >> "$log"
{
    cat "$log"
    echo "$ours"
    echo "$pytorch"
    echo "$torchsharp"
} | grep -v '^$' | tee ${OUT:+"$OUT"}
/usr/bin/python3 - "$ours" "$pytorch" "$torchsharp" <<'PY' | tee ${OUT:+-a "$OUT"}
import json, sys

def lines(text):
    return [json.loads(l) for l in text.splitlines() if l.strip().startswith("{")]

def best(text):
    out = {}
    for t in lines(text):
        key = (t["model"], t["mode"], t["batch"])
        if key not in out or t["samples_per_s"] > out[key]["samples_per_s"]:
            out[key] = t
    return out

ours = lines(sys.argv[1])
pytorch, torchsharp = best(sys.argv[2]), best(sys.argv[3])
fmt = "{:<16} {:<5} {:>5} {:>11} {:>11} {:>11} {:>8} {:>8} {:>8}"
print(fmt.format("model", "mode", "batch", "modelgen/s", "pytorch/s", "torchsh/s", "/pytorch", "/torchsh", "/better"))
for o in ours:
    if "model" not in o:
        continue
    key = (o["model"], o["mode"], o["batch"])
    mine = o["samples_per_s"]
    peers = [p[key]["samples_per_s"] if key in p else None for p in (pytorch, torchsharp)]
    cell = lambda v: "-" if v is None else f"{v:.0f}"
    ratio = lambda v: "-" if v is None else f"{mine / v:.2f}"
    known = [v for v in peers if v is not None]
    print(fmt.format(o["model"], o["mode"], o["batch"], f"{mine:.0f}", cell(peers[0]), cell(peers[1]),
                     ratio(peers[0]), ratio(peers[1]), ratio(max(known)) if known else "-"))
for o in ours:
    if "fraction_of_2t_peak" in o:
        print(f'{o["model"]} training: {o["gflop_per_s"]:.1f} GFLOP/s ({o["flop_per_sample"] / 1e6:.2f} MFLOP per sample) = '
              f'{100 * o["fraction_of_2t_peak"]:.0f}% of the two-thread FMA peak measured after it ({o["fma_peak_2t_gflop_per_s"]:.1f} GFLOP/s)')
for o in ours:
    if o.get("mode") == "gemm":
        print(f'GEMM 1024³ on 1 thread: {o["gflop_per_s"]:.1f} GFLOP/s = {100 * o["fraction_of_1t_peak"]:.0f}% of the register-only FMA peak '
              f'({o["fma_peak_1t_gflop_per_s"]:.1f} GFLOP/s on 1 thread, {o["fma_peak_2t_gflop_per_s"]:.1f} on 2, {o["vector_bits"]}-bit vectors)')
PY
