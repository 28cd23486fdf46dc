using Xunit;

namespace ModelGen.Cuda.Tests;

/// <summary>
/// The tests that run kernels on the host emulation, one at a time. g++ gives the emulator's inline globals
/// (grid and block sizes) and the kernels' <c>__shared__</c> statics unique-symbol linkage, which the dynamic
/// loader shares between every emulated program loaded in the process: two classes launching kernels at once
/// would read each other's sizes and tiles.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EmulatorCollection
{
    /// <summary>The collection's name, for <c>[Collection]</c>.</summary>
    public const string Name = "Host emulation of CUDA kernels";
}
