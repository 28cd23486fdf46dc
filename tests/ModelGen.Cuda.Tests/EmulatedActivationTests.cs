using System;
using System.Linq;
using ModelGen.Cpu;
using ModelGen.Cuda.Tests.Emulation;
using Xunit;
using static ModelGen.Cuda.Tests.CpuComparison;

namespace ModelGen.Cuda.Tests;

/// <summary>
/// Every activation's CUDA template (<c>mg::activation_forward/backward&lt;mg::Act::…&gt;</c>, one kernel pair per member
/// of <see cref="Activation"/>, so a new member is covered here by name) on the host emulation, against the CPU's
/// <see cref="ActivationKernels"/> in float32, from the far negative tail (−14) to 8. Per element
/// |cuda − cpu| ≤ 1e-6 + 1e-5·|cpu|: a few float32 ulps of library differences (erfcf, expf, tanhf), well inside
/// the 1e-4 + 1e-3·|cpu| the generated models are held to.
/// </summary>
[Collection(EmulatorCollection.Name)]
public unsafe class EmulatedActivationTests
{
    private static readonly (double Atol, double Rtol) Tolerance = (1e-6, 1e-5);
    private const float Slope = 0.2f;   // LeakyReLU's, as the kernels below pass it

    private static string Source =>
        "#include \"modelgen.cuh\"\nextern \"C\" { __device__ float* modelgen_buffers[1]; }\n" + string.Concat(Enum.GetNames<Activation>().Select(name => $$"""

            extern "C" __global__ void __launch_bounds__(mg::kThreads) forward_{{name}}(const float* z, float* y, long long count)
            {
                mg::activation_forward<mg::Act::{{name}}>(z, y, count, 0.2f);
            }

            extern "C" __global__ void __launch_bounds__(mg::kThreads) backward_{{name}}(const float* z, const float* y, const float* dy, float* dz, long long count)
            {
                mg::activation_backward<mg::Act::{{name}}>(z, y, dy, dz, count, 0.2f);
            }
            """));

    public static TheoryData<Activation> Activations() => new(Enum.GetValues<Activation>());

    [EmulatorTheory]
    [MemberData(nameof(Activations))]
    public void Template_MatchesTheCpuKernels(Activation kind)
    {
        // A grid through both tails and the middle (step 1/32), then Gaussian values: 1,000 and more, not a multiple of 256.
        float[] z = Enumerable.Range(0, 22 * 32 + 1).Select(i => -14f + i / 32f).Concat(Gaussian(300, 7, 3)).ToArray();
        float[] dy = Gaussian(z.Length, 8);
        float[] y = new float[z.Length], dz = new float[z.Length];
        fixed (float* pz = z, py = y, pdy = dy, pdz = dz)
        {
            ActivationKernels.Forward(kind, pz, py, z.Length, Slope);
            ActivationKernels.Backward(kind, pz, py, pdy, pdz, z.Length, Slope);
        }

        using var device = new EmulatedKernels(HostEmulator.Create(Source, "activations"));
        ulong dZ = device.Put(z), dY = device.Zeros(z.Length), dDy = device.Put(dy), dDz = device.Zeros(z.Length);
        uint blocks = (uint)((z.Length + 255) / 256);
        device.Launch($"forward_{kind}", blocks, dZ, dY, (long)z.Length);
        device.Launch($"backward_{kind}", blocks, dZ, dY, dDy, dDz, (long)z.Length);

        AssertClose($"{kind} forward", y, device.Get(dY, z.Length), Tolerance);
        AssertClose($"{kind} backward", dz, device.Get(dDz, z.Length), Tolerance);
    }
}
