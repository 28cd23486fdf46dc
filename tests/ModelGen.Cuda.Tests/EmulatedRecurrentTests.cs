using System;
using System.Linq;
using ModelGen.Compute;
using ModelGen.Cpu;
using ModelGen.Cuda.Tests.Emulation;
using Xunit;
using static ModelGen.Cuda.Tests.CpuComparison;

namespace ModelGen.Cuda.Tests;

/// <summary>
/// The LSTM and GRU templates (kernels/recurrent.cuh) on the host emulation against the CPU kernels in
/// double, at a size the test models do not reach: more hidden units than a block has threads (each
/// thread owns units j and j + 256), both directions, every step (LSTM) and the last states (GRU).
/// The generated models using them are compared with the CPU in <see cref="EmulatedGraphTests"/>.
/// </summary>
[Collection(EmulatorCollection.Name)]
public unsafe class EmulatedRecurrentTests
{
    private const int Batch = 2, Steps = 3, Inputs = 3, Hidden = 260;

    // One kernel per layer kind; `stage` picks the launch the generated code would make, in its order.
    private const string Source = """
        #include "modelgen.cuh"
        extern "C" { __device__ float* modelgen_buffers[1]; }

        using Lstm = mg::LstmShape<3, 3, 260, 2, true>;
        using Gru = mg::GruShape<3, 3, 260, 2, false>;

        extern "C" __global__ void __launch_bounds__(mg::kThreads) lstm(int stage, const float* x, const float* p, const float* dy, float* gates, float* cells,
            float* previous, float* y, float* dgates, float* unused, float* states, float* dp, float* dx, int batch)
        {
            switch (stage)
            {
                case 0: mg::recurrent_input_projection<Lstm>(x, p, gates, batch); break;
                case 1: mg::lstm_forward_steps<Lstm>(p, gates, cells, previous, y, batch); break;
                case 2: mg::lstm_backward_steps<Lstm>(p, gates, cells, dy, dgates, states, batch); break;
                case 3: mg::recurrent_backward_weights<Lstm>(x, previous, dgates, dgates, dp, batch); break;
                case 4: mg::recurrent_backward_bias<Lstm>(dgates, dgates, dp, batch); break;
                case 5: mg::recurrent_backward_data<Lstm, 0>(dgates, p, dx, batch); break;
                default: mg::recurrent_backward_data<Lstm, 1>(dgates, p, dx, batch); break;
            }
        }

        extern "C" __global__ void __launch_bounds__(mg::kThreads) gru(int stage, const float* x, const float* p, const float* dy, float* gates, float* candidates,
            float* previous, float* y, float* dgi, float* dgh, float* states, float* dp, float* dx, int batch)
        {
            switch (stage)
            {
                case 0: mg::recurrent_input_projection<Gru>(x, p, gates, batch); break;
                case 1: mg::gru_forward_steps<Gru>(p, gates, candidates, previous, y, batch); break;
                case 2: mg::gru_backward_steps<Gru>(p, gates, candidates, previous, dy, dgi, dgh, states, batch); break;
                case 3: mg::recurrent_backward_weights<Gru>(x, previous, dgi, dgh, dp, batch); break;
                case 4: mg::recurrent_backward_bias<Gru>(dgi, dgh, dp, batch); break;
                case 5: mg::recurrent_backward_data<Gru, 0>(dgi, p, dx, batch); break;
                default: mg::recurrent_backward_data<Gru, 1>(dgi, p, dx, batch); break;
            }
        }
        """;

    [EmulatorTheory]
    [InlineData("lstm")]
    [InlineData("gru")]
    public void RecurrentTemplates_MatchTheCpuKernels(string kind)
    {
        bool lstm = kind == "lstm";
        var shape = new RecurrentShape(Batch, Steps, Inputs, Hidden, bidirectional: true, returnSequence: lstm);
        int gateWidth = (lstm ? 4 : 3) * Hidden, parameterCount = (int)(lstm ? LstmKernels.ParameterCount(shape) : GruKernels.ParameterCount(shape));
        int perStep = 2 * Batch * Steps;   // rows of the [directions, batch, steps, width] buffers
        var x = Gaussian(Batch * Steps * Inputs, 1, 1.0);
        var p = Gaussian(parameterCount, 2, 1 / Math.Sqrt(Hidden));
        var dy = Gaussian((int)shape.OutputElements, 3, 1.0);

        using var device = new EmulatedKernels(HostEmulator.Create(Source, "recurrent"));
        ulong dx = device.Put(x), dp = device.Put(p), ddy = device.Put(dy);
        ulong gates = device.Zeros(perStep * gateWidth), saved = device.Zeros(perStep * Hidden), previous = device.Zeros(perStep * Hidden);
        ulong y = device.Zeros((int)shape.OutputElements), dgi = device.Zeros(perStep * gateWidth), dgh = device.Zeros(perStep * gateWidth);
        ulong states = device.Zeros(2 * Batch * 2 * Hidden);
        ulong gradients = device.Put(new float[parameterCount]), inputGradient = device.Put(new float[x.Length]);
        for (int stage = 0; stage <= 6; stage++)
            device.Launch(kind, 3, stage, dx, dp, ddy, gates, saved, previous, y, dgi, dgh, states, gradients, inputGradient, Batch);

        // The CPU kernels in double: outputs, parameter gradients and input gradient.
        double[] Double(float[] v) => v.Select(f => (double)f).ToArray();
        double[] xd = Double(x), pd = Double(p), dyd = Double(dy);
        var expectedY = new double[shape.OutputElements];
        var expectedDp = new double[parameterCount];
        var expectedDx = new double[x.Length];
        long savedSize = lstm ? LstmKernels.SavedSize(shape) : GruKernels.SavedSize(shape);
        long workspaceSize = lstm ? LstmKernels.WorkspaceSize(shape) : GruKernels.WorkspaceSize(shape);
        var cpuSaved = new double[savedSize];
        var workspace = new double[workspaceSize];
        fixed (double* px = xd, pp = pd, pdy = dyd, py = expectedY, pdp = expectedDp, pdx = expectedDx, ps = cpuSaved, pw = workspace)
        {
            if (lstm)
            {
                LstmKernels.Forward(shape, px, pp, py, ps, pw);
                LstmKernels.Backward(shape, px, pp, pdy, pdx, pdp, ps, pw);
            }
            else
            {
                GruKernels.Forward(shape, px, pp, py, ps, pw);
                GruKernels.Backward(shape, px, pp, pdy, pdx, pdp, ps, pw);
            }
        }
        AssertClose($"{kind} outputs", expectedY, device.Get(y, expectedY.Length));
        AssertClose($"{kind} parameter gradients", expectedDp, device.Get(gradients, parameterCount));
        AssertClose($"{kind} input gradient", expectedDx, device.Get(inputGradient, expectedDx.Length));
        // Not a comparison of zeros: the reverse direction's parameters (its second half) got gradients.
        Assert.Contains(device.Get(gradients, parameterCount).Skip(parameterCount / 2).Take(parameterCount / 2), g => g != 0);
    }

    private static void AssertClose(string what, double[] expected, float[] actual)
    {
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-5 + 1e-3 * Math.Abs(expected[i]), $"{what}[{i}]: {actual[i]:G9}, expected {expected[i]:G9}");
    }
}
