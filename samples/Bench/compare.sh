#!/usr/bin/env bash
# Runs ModelGen's benchmark and the PyTorch peer on this machine, in one run, and prints the
# ratio ModelGen / PyTorch for each (model, mode, batch). PyTorch runs twice, as installed and with
# OPENBLAS_NUM_THREADS=1 (Debian's OpenBLAS thread pool competes with PyTorch's OpenMP threads on
# small machines), and the better of its two figures is used for each line.
#   [MODELS=tiny-transformer] samples/Bench/compare.sh [PEER_SCRIPT] [extra args for both, e.g. --threads 2]
# PEER_SCRIPT defaults to ../shared/bench/torch_peer.py (needs Debian's python3-torch).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
peer=${1:-$root/../shared/bench/torch_peer.py}
shift || true
models=${MODELS:-digits-mlp,mnist-mlp,lenet5,tiny-transformer,wide-deep}
dotnet build -c Release "$root/samples/Bench" >/dev/null
ours=$(dotnet "$root/samples/Bench/bin/Release/net10.0/Bench.dll" --models $models "$@")
theirs=$(/usr/bin/python3 "$peer" --models $models "$@"; OPENBLAS_NUM_THREADS=1 /usr/bin/python3 "$peer" --models $models "$@" | sed 's/"peer": "\([^"]*\)"/"peer": "\1+openblas1"/')
echo "$ours"
echo "$theirs"
/usr/bin/python3 - "$ours" "$theirs" <<'PY'
import json, sys
ours = [json.loads(l) for l in sys.argv[1].splitlines() if l.strip()]
theirs = {}
for t in map(json.loads, filter(str.strip, sys.argv[2].splitlines())):
    key = (t["model"], t["mode"], t["batch"])
    if key not in theirs or t["samples_per_s"] > theirs[key]["samples_per_s"]:
        theirs[key] = t
print(f'{"model":<16} {"mode":<6} {"batch":>5} {"modelgen/s":>12} {"pytorch/s":>12} {"ratio":>7}')
for o in ours:
    t = theirs.get((o["model"], o["mode"], o["batch"]))
    if t:
        print(f'{o["model"]:<16} {o["mode"]:<6} {o["batch"]:>5} {o["samples_per_s"]:>12.0f} {t["samples_per_s"]:>12.0f} {o["samples_per_s"]/t["samples_per_s"]:>7.2f}')
PY
