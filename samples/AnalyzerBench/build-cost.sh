#!/usr/bin/env bash
# What ModelGen adds to a real build: builds a throw-away project whose one file declares N models
# (default 20), with -p:ReportAnalyzer=true, and prints the analyzer's and the generator's execution
# time as the compiler reports them, one JSON line per build. The first build of each mode pays for
# loading and JIT-compiling the analyzer; the compiler server ("warm") keeps that between builds.
# MODELGEN_READY_TO_RUN=false builds the generator and analyzers as IL only (build/ReadyToRun.targets), for comparison.
#   samples/AnalyzerBench/build-cost.sh [MODELS] [BUILDS]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
models=${1:-20}
builds=${2:-4}
r2r=${MODELGEN_READY_TO_RUN:-true}
work=$(mktemp -d)
trap 'rm -rf "$work"; dotnet build-server shutdown >/dev/null 2>&1 || true' EXIT
dotnet build -c Release "$root/samples/AnalyzerBench" >/dev/null
cat > "$work/Cost.csproj" <<PROJ
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <AllowUnsafeBlocks>true</AllowUnsafeBlocks>
  </PropertyGroup>
  <ItemGroup>
    <ProjectReference Include="$root/src/ModelGen/ModelGen.csproj" />
    <ProjectReference Include="$root/generators/ModelGen.Generators/ModelGen.Generators.csproj" OutputItemType="Analyzer" ReferenceOutputAssembly="false" />
    <ProjectReference Include="$root/analyzers/ModelGen.Analyzers/ModelGen.Analyzers.csproj" OutputItemType="Analyzer" ReferenceOutputAssembly="false" />
  </ItemGroup>
</Project>
PROJ
dotnet "$root/samples/AnalyzerBench/bin/Release/net10.0/AnalyzerBench.dll" --models "$models" --write "$work/Models.cs"
dotnet build -c Release -p:ModelGenReadyToRun="$r2r" "$work" >/dev/null
for mode in cold warm; do
  shared=$([ "$mode" = warm ] && echo true || echo false)
  for i in $(seq 1 "$builds"); do
    sed -i "1s|.*|using ModelGen; // build $mode $i|" "$work/Models.cs"
    UseSharedCompilation=$shared dotnet build -c Release --no-restore -p:UseSharedCompilation=$shared -p:ModelGenReadyToRun="$r2r" -p:ReportAnalyzer=true -v:d "$work" > "$work/build.log" 2>&1
    analyzer=$(grep -E 'ModelGen.Analyzers.ModelAnalyzer \(' "$work/build.log" | awk '{print $1 * 1000}')
    leakage=$(grep -E 'ModelGen.Analyzers.LeakageAnalyzer \(' "$work/build.log" | awk '{print $1 * 1000}')
    fitdata=$(grep -E 'ModelGen.Analyzers.FitDataAnalyzer \(' "$work/build.log" | awk '{print $1 * 1000}')
    generator=$(grep -E '^ +[0-9.]+ +[0-9]+ +ModelGen.Generators.ModelGenerator' "$work/build.log" | awk '{print $1 * 1000}')
    echo "{\"benchmark\": \"build\", \"models\": $models, \"compiler\": \"$mode\", \"ready_to_run\": $r2r, \"build\": $i, \"analyzer_ms\": $analyzer, \"leakage_analyzer_ms\": ${leakage:-0}, \"fit_data_analyzer_ms\": ${fitdata:-0}, \"generator_ms\": $generator}"
  done
done
