#!/usr/bin/env bash
# Prepare a folder that carries a .NET program to a GPU machine that has CUDA but no .NET.
#
#   tools/gpu/pack.sh PROJECT.csproj [OUT_DIR]       (run from the repository root)
#
# Publishes PROJECT (Release, framework-dependent, linux-x64) into OUT_DIR/app, puts a compressed
# copy of this machine's .NET runtime (about 26 MB) and run.sh beside it, and the PyTorch peer
# (../shared/bench/torch_peer.py) when there is one. Then, on the GPU machine, from a copy of the checkout:
#   bash .gpu/run.sh GpuCheck.dll [args]         and          python3 .gpu/torch_peer.py --device cuda
# Differs from ../shared/gpu/pack.sh in one step: OUT_DIR is git-ignored through .gitignore (/.gpu/),
# so the script also works where .git is a file (a linked checkout) rather than a folder.
set -euo pipefail
proj=${1:?usage: pack.sh PROJECT.csproj [OUT_DIR]}
out=${2:-.gpu}
here=$(cd "$(dirname "$0")" && pwd)
root=$(git rev-parse --show-toplevel)
if ! git -C "$root" check-ignore -q "$out/"; then
  echo "error: $out/ is not git-ignored; add /$out/ to .gitignore (the folder must not be committed)." >&2
  exit 1
fi
mkdir -p "$out"
rm -rf "$out/app"
dotnet publish "$proj" -c Release -r linux-x64 --self-contained false -o "$out/app" -p:DebugType=none >/dev/null
dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
if [ ! -f "$out/dotnet.tar.xz" ]; then
  tar cJf "$out/dotnet.tar.xz" -C "$dotnet_root" dotnet host shared/Microsoft.NETCore.App
fi
cp "$here/run.sh" "$out/run.sh"
peer="$root/../shared/bench/torch_peer.py"
[ -f "$peer" ] && cp "$peer" "$out/torch_peer.py"
du -sh "$out"
