using System;
using System.Collections.Generic;
using System.Linq;
using ModelGen.Cuda;
using ModelGen.Tests.Cpu;
using ModelGen.Tests.Models;
using Xunit;

namespace ModelGen.Tests.Training;

/// <summary>
/// The optimizers' update rules with the learning rate as an argument: bit for bit against plain float32
/// transcriptions of the documented formulas, the CUDA kernel arguments against the same scalars, the state
/// buffers a checkpoint would save, and Fit leaving the optimizer's base rate alone.
/// </summary>
public class OptimizerUpdateTests
{
    private const int Length = 37;   // whole vectors plus a scalar tail
    private static readonly float[] Rates = [0.01f, 0.03f, 0.02f, 0f, 0.05f];   // a schedule's rates, 0 included

    public static TheoryData<string> Rules() => new(Reference.Keys);

    private static Optimizer Create(string rule) => rule switch
    {
        "sgd" => new Sgd(0.1f),
        "sgd-decay" => new Sgd(0.1f, weightDecay: 0.05f),
        "sgd-momentum" => new Sgd(0.1f, momentum: 0.9f, weightDecay: 0.01f),
        "sgd-nesterov" => new Sgd(0.1f, momentum: 0.8f, nesterov: true, weightDecay: 0.01f),
        "adam" => new Adam(0.1f, beta1: 0.8f, beta2: 0.99f, epsilon: 1e-6f, weightDecay: 0.02f),
        "adamw" => new AdamW(0.1f, beta1: 0.85f, beta2: 0.995f, weightDecay: 0.1f),
        "rmsprop" => new RmsProp(0.1f, alpha: 0.9f, weightDecay: 0.01f),
        "rmsprop-centered" => new RmsProp(0.1f, alpha: 0.95f, centered: true),
        "rmsprop-momentum" => new RmsProp(0.1f, momentum: 0.7f),
        "rmsprop-centered-momentum" => new RmsProp(0.1f, momentum: 0.5f, centered: true, weightDecay: 0.01f),
        "adagrad" => new Adagrad(0.1f, learningRateDecay: 0.2f, weightDecay: 0.01f, initialAccumulatorValue: 0.3f),
        _ => throw new ArgumentException(rule),
    };

    /// <summary>One element's update at step t (from 1) and rate lr, written from each class's documented formula; s holds the element's state.</summary>
    private delegate float ElementUpdate(float p, float g, float lr, long t, float[] s);

    private static readonly Dictionary<string, ElementUpdate> Reference = new()
    {
        ["sgd"] = (p, g, lr, t, s) => p - lr * (g + 0f * p),
        ["sgd-decay"] = (p, g, lr, t, s) => p - lr * (g + 0.05f * p),
        ["sgd-momentum"] = (p, g, lr, t, s) => { float d = g + 0.01f * p; s[0] = 0.9f * s[0] + d; return p - lr * s[0]; },
        ["sgd-nesterov"] = (p, g, lr, t, s) => { float d = g + 0.01f * p; s[0] = 0.8f * s[0] + d; return p - lr * (d + 0.8f * s[0]); },
        ["adam"] = (p, g, lr, t, s) =>
        {
            float c1 = 1f / (1f - MathF.Pow(0.8f, t)), c2 = 1f / (1f - MathF.Pow(0.99f, t));
            float d = g + 0.02f * p;
            s[0] = 0.8f * s[0] + (1f - 0.8f) * d;
            s[1] = 0.99f * s[1] + (1f - 0.99f) * d * d;
            return p * 1f - lr * (s[0] * c1) / (MathF.Sqrt(s[1] * c2) + 1e-6f);
        },
        ["adamw"] = (p, g, lr, t, s) =>
        {
            float c1 = 1f / (1f - MathF.Pow(0.85f, t)), c2 = 1f / (1f - MathF.Pow(0.995f, t));
            float d = g + 0f * p;   // AdamW couples nothing into the gradient
            s[0] = 0.85f * s[0] + (1f - 0.85f) * d;
            s[1] = 0.995f * s[1] + (1f - 0.995f) * d * d;
            return p * (1f - lr * 0.1f) - lr * (s[0] * c1) / (MathF.Sqrt(s[1] * c2) + 1e-8f);
        },
        ["rmsprop"] = (p, g, lr, t, s) => { float d = g + 0.01f * p; s[0] = 0.9f * s[0] + (1f - 0.9f) * d * d; return p - lr * (d / (MathF.Sqrt(s[0]) + 1e-8f)); },
        ["rmsprop-centered"] = (p, g, lr, t, s) =>
        {
            float d = g + 0f * p;
            s[0] = 0.95f * s[0] + (1f - 0.95f) * d * d;
            s[1] = 0.95f * s[1] + (1f - 0.95f) * d;
            return p - lr * (d / (MathF.Sqrt(s[0] - s[1] * s[1]) + 1e-8f));
        },
        ["rmsprop-momentum"] = (p, g, lr, t, s) =>
        {
            float d = g + 0f * p;
            s[0] = 0.99f * s[0] + (1f - 0.99f) * d * d;
            s[2] = 0.7f * s[2] + d / (MathF.Sqrt(s[0]) + 1e-8f);
            return p - lr * s[2];
        },
        ["rmsprop-centered-momentum"] = (p, g, lr, t, s) =>
        {
            float d = g + 0.01f * p;
            s[0] = 0.99f * s[0] + (1f - 0.99f) * d * d;
            s[1] = 0.99f * s[1] + (1f - 0.99f) * d;
            s[2] = 0.5f * s[2] + d / (MathF.Sqrt(s[0] - s[1] * s[1]) + 1e-8f);
            return p - lr * s[2];
        },
        ["adagrad"] = (p, g, lr, t, s) =>
        {
            if (t == 1) s[0] = 0.3f;
            float d = g + 0.01f * p;
            s[0] += d * d;
            return p - lr / (1f + (t - 1) * 0.2f) * d / (MathF.Sqrt(s[0]) + 1e-10f);
        },
    };

    [Theory]
    [MemberData(nameof(Rules))]
    public void StepAtARate_EqualsTheFormula_BitForBit_AndLeavesTheBaseRate(string rule)
    {
        var optimizer = Create(rule);
        float[] p = TestData.Random<float>(Length, 1);
        var expected = (float[])p.Clone();
        var state = new float[Length][];
        for (int i = 0; i < Length; i++) state[i] = new float[3];
        for (int t = 1; t <= Rates.Length; t++)
        {
            float[] g = TestData.Random<float>(Length, 100 + t);
            optimizer.Step(p, g, Rates[t - 1]);
            for (int i = 0; i < Length; i++) expected[i] = Reference[rule](expected[i], g[i], Rates[t - 1], t, state[i]);
            TestData.AssertBitwiseEqual(expected, p, $"{rule} after step {t}");
        }
        Assert.Equal(0.1f, optimizer.LearningRate);
        Assert.Equal(Rates.Length, optimizer.StepCount);
    }

    [Theory]
    [MemberData(nameof(Rules))]
    public void StepAtTheBaseRate_EqualsStepAtThatRate(string rule)
    {
        Optimizer byProperty = Create(rule), byArgument = Create(rule);
        float[] a = TestData.Random<float>(Length, 2), b = (float[])a.Clone();
        for (int t = 0; t < Rates.Length; t++)
        {
            float[] g = TestData.Random<float>(Length, 200 + t);
            byProperty.LearningRate = Rates[t];
            byProperty.Step(a, g);
            byArgument.Step(b, g, Rates[t]);
        }
        TestData.AssertBitwiseEqual(a, b, rule);
    }

    [Theory]
    [MemberData(nameof(Rules))]
    public void StateBuffersAndStepCount_AreAllAnOptimizerNeedsToContinue(string rule)
    {
        // What a checkpoint would do: copy the named buffers and the step count into a fresh optimizer.
        var original = Create(rule);
        float[] p = TestData.Random<float>(Length, 3);
        for (int t = 0; t < 3; t++) original.Step(p, TestData.Random<float>(Length, 300 + t), Rates[t]);
        var restored = Create(rule);
        var saved = original.StateBuffers(Length);
        var target = restored.StateBuffers(Length);
        Assert.Equal(saved.Select(b => b.Name), target.Select(b => b.Name));
        for (int i = 0; i < saved.Count; i++) saved[i].Values.CopyTo(target[i].Values, 0);
        restored.StepCount = original.StepCount;

        float[] q = (float[])p.Clone();
        for (int t = 3; t < Rates.Length; t++)
        {
            float[] g = TestData.Random<float>(Length, 300 + t);
            original.Step(p, g, Rates[t]);
            restored.Step(q, g, Rates[t]);
        }
        TestData.AssertBitwiseEqual(p, q, rule);
        string[] names = rule switch
        {
            "sgd" or "sgd-decay" => [],
            "sgd-momentum" or "sgd-nesterov" => ["momentum_buffer"],
            "adam" or "adamw" => ["exp_avg", "exp_avg_sq"],
            "rmsprop" => ["square_avg"],
            "rmsprop-centered" => ["square_avg", "grad_avg"],
            "rmsprop-momentum" => ["square_avg", "momentum_buffer"],
            "rmsprop-centered-momentum" => ["square_avg", "grad_avg", "momentum_buffer"],
            _ => ["sum"],
        };
        Assert.Equal(names, saved.Select(b => b.Name));
    }

    [Fact]
    public void AnUnsteppedAdagrad_StartsItsSumsAtTheInitialValue()
    {
        var sums = Assert.Single(new Adagrad(initialAccumulatorValue: 0.25f).StateBuffers(5));
        Assert.Equal(Enumerable.Repeat(0.25f, 5), sums.Values);
    }

    [Theory]
    [InlineData(-0.1f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void AStepRateThatIsNotAFiniteNonNegativeNumber_IsRefused(float rate)
    {
        var optimizer = new Adam();
        float[] p = new float[4], g = new float[4];
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => optimizer.Step(p, g, rate));
        Assert.Equal("learningRate", error.ParamName);
        Assert.Equal(0, optimizer.StepCount);
    }

    /// <summary>The arguments of each generated update kernel, in its parameter order, from the scalars the CPU update uses.</summary>
    [Fact]
    public void CudaKernelArguments_AreTheCpuUpdatesScalars()
    {
        const float lr = 0.03f;
        const long t = 4;
        AssertCall("modelgen_sgd", [lr, 0.8f, Int(1), 0.01f], Create("sgd-nesterov").CudaUpdate(lr, t));
        AssertCall("modelgen_sgd", [lr, 0f, Int(0), 0.05f], Create("sgd-decay").CudaUpdate(lr, t));
        AssertCall("modelgen_adam", [lr, 0.8f, 0.99f, 1e-6f, 0.02f, 1f, 1f / (1f - MathF.Pow(0.8f, t)), 1f / (1f - MathF.Pow(0.99f, t))],
            Create("adam").CudaUpdate(lr, t));
        AssertCall("modelgen_adam", [lr, 0.85f, 0.995f, 1e-8f, 0f, 1f - lr * 0.1f, 1f / (1f - MathF.Pow(0.85f, t)), 1f / (1f - MathF.Pow(0.995f, t))],
            Create("adamw").CudaUpdate(lr, t));
        AssertCall("modelgen_rmsprop", [lr, 0.95f, 1e-8f, 0f, 0f, Int(1)], Create("rmsprop-centered").CudaUpdate(lr, t));
        AssertCall("modelgen_rmsprop", [lr, 0.99f, 1e-8f, 0f, 0.7f, Int(0)], Create("rmsprop-momentum").CudaUpdate(lr, t));
        AssertCall("modelgen_adagrad", [lr / (1f + (t - 1) * 0.2f), 1e-10f, 0.01f], Create("adagrad").CudaUpdate(lr, t));
        AssertCall("modelgen_adagrad_start", [0.3f], Create("adagrad").CudaMomentStart!.Value);
        Assert.Null(new Adagrad().CudaMomentStart);
        Assert.Null(new Adam().CudaMomentStart);
    }

    /// <summary>An int argument as the float with its bits.</summary>
    private static float Int(int value) => BitConverter.Int32BitsToSingle(value);

    private static void AssertCall(string kernel, float[] arguments, KernelCall call)
    {
        Assert.Equal(kernel, call.Kernel);
        TestData.AssertBitwiseEqual(arguments, call.FloatArguments(), kernel + " arguments");
    }

    [Fact]
    public void OptimizersWithoutAKernel_SayWhatTheGpuTakes()
    {
        Assert.Null(CudaGraph.UnsupportedReason(new AdamW()));
        Assert.Contains("three state buffers", CudaGraph.UnsupportedReason(new RmsProp(centered: true, momentum: 0.9f)));
        var custom = new RecordingSgd();
        Assert.Equal("RecordingSgd has no CUDA kernel; use Sgd, Adam, AdamW, RmsProp or Adagrad on the GPU", CudaGraph.UnsupportedReason(custom));
        var error = Assert.Throws<NotSupportedException>(() => custom.CudaUpdate(0.1f, 1));
        Assert.Contains("RecordingSgd has no CUDA kernel", error.Message);
    }

    /// <summary>An optimizer written outside the library: the protected update gets the step's rate.</summary>
    private sealed class RecordingSgd() : Optimizer(0.5f)
    {
        public List<float> RatesSeen { get; } = new();

        protected override void Update(Span<float> parameters, ReadOnlySpan<float> gradients, float learningRate, long step)
        {
            RatesSeen.Add(learningRate);
            for (int i = 0; i < parameters.Length; i++) parameters[i] -= learningRate * gradients[i];
        }
    }

    [Fact]
    public void Fit_PassesEachStepItsScheduledRate_AndNeverWritesTheOptimizersRate()
    {
        var data = FitFeatureTests.MakeBlobs(24, 3);
        var optimizer = new RecordingSgd();
        var seenDuringFit = new List<float>();
        var history = new Blobs(seed: 1).Fit(data, epochs: 2, batchSize: 8, optimizer: optimizer, schedule: new StepDecay(2, 0.5f),
            onEpoch: _ => seenDuringFit.Add(optimizer.LearningRate));
        Assert.Equal([0.5f, 0.5f, 0.25f, 0.25f, 0.125f, 0.125f], optimizer.RatesSeen);
        Assert.Equal([0.5f, 0.5f], seenDuringFit);
        Assert.Equal([0.25f, 0.125f], history.Select(e => e.LearningRate));
        Assert.Equal(0.5f, optimizer.LearningRate);
    }

    [Fact]
    public void Fit_WithoutASchedule_ReadsTheRateEveryStep()
    {
        // A callback may lower the rate between epochs (as a plateau rule would); the next steps use it.
        var data = FitFeatureTests.MakeBlobs(16, 3);
        var optimizer = new RecordingSgd();
        var history = new Blobs(seed: 1).Fit(data, epochs: 3, batchSize: 8, optimizer: optimizer, onEpoch: _ => optimizer.LearningRate /= 2);
        Assert.Equal([0.5f, 0.5f, 0.25f, 0.25f, 0.125f, 0.125f], optimizer.RatesSeen);
        Assert.Equal([0.5f, 0.25f, 0.125f], history.Select(e => e.LearningRate));
        Assert.Equal(0.0625f, optimizer.LearningRate);
    }

    [Fact]
    public void AScheduleThatGivesNoRate_StopsFit_NamingTheSchedule()
    {
        var data = FitFeatureTests.MakeBlobs(16, 3);
        var model = new Blobs(seed: 1);
        var before = model.Parameters.ToArray();
        var error = Assert.Throws<InvalidOperationException>(() => model.Fit(data, epochs: 1, batchSize: 8, optimizer: new Sgd(0.1f), schedule: new BrokenSchedule()));
        Assert.Contains("BrokenSchedule gave NaN for step 0", error.Message);
        Assert.Equal(before, model.Parameters.ToArray());
    }

    private sealed class BrokenSchedule : LearningRateSchedule
    {
        public override float Rate(long step, float baseRate) => float.NaN;
    }
}
