#!/usr/bin/env bash
# Training samples/s through Fit for mnist-mlp and lenet5 (MODELS.md): 1 process × 1 thread, 1 process × 2 threads, and
# 2 processes × 1 thread under mpirun (loopback TCP), on this machine, in one run. Prints the machine line, the load before
# and after (other work on the machine changes the figures), and the JSON lines.
#   samples/DistributedBench/run.sh [--steps 30] [--repeats 5]   > samples/DistributedBench/results/<name>.txt
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dotnet build -c Release "$root/samples/DistributedBench" >/dev/null
bench="$root/samples/DistributedBench/bin/Release/net10.0/DistributedBench.dll"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
echo "# samples/DistributedBench/run.sh $*"
echo "# machine: $cpu, $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB; .NET $(dotnet --version); $(mpirun --version | head -1)"
echo "# load before: $(uptime | sed 's/.*load average: //')"
dotnet "$bench" --threads 1 "$@"
dotnet "$bench" --threads 2 "$@"
mpirun --oversubscribe -np 2 --mca btl self,tcp --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo dotnet "$bench" --threads 1 "$@" </dev/null |
    sed 's/\x1b\[?1h\x1b=//g'   # .NET writes a terminal-mode sequence on the pseudo-terminal mpirun gives its ranks
echo "# load after: $(uptime | sed 's/.*load average: //')"
