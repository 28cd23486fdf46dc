using Xunit;

namespace ModelGen.Cuda.Tests;

/// <summary>
/// The tests that run kernels on the host emulation, one at a time: one collection, whose tests xunit runs one
/// after another. g++ gives the emulator's globals (grid and block sizes) and the kernels' <c>__shared__</c>
/// statics one copy per loaded program, so two tests launching kernels of one program at once would read each
/// other's sizes and tiles. The collection still runs beside the NVRTC compile tests, which load no emulated program.
/// </summary>
[CollectionDefinition(Name)]
public sealed class EmulatorCollection
{
    /// <summary>The collection's name, for <c>[Collection]</c>.</summary>
    public const string Name = "Host emulation of CUDA kernels";
}
