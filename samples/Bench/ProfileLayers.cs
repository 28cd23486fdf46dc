using System;
using System.Collections.Generic;
using ModelGen;
using ModelGen.Cpu;

namespace Bench;

/// <summary>
/// Where a step of the tiny transformer or of LeNet-5 spends its time: the whole call through the public API next to
/// each kernel the generated code calls, run alone at the model's sizes and multiplied by how often a step calls it
/// (the part's name ends in ×count), in microseconds per step. The gap between the whole and the sum of the parts is
/// the glue around the kernels (gradient clears, residual adds in backward, the finiteness check of the inputs).
/// </summary>
public static unsafe class ProfileLayers
{
    /// <summary>The models this breakdown knows.</summary>
    public static IEnumerable<string> Models => new[] { "tiny-transformer", "lenet5" };

    /// <summary>One JSON line per (model, batch, part): batch 1 and the benchmark batch for inference, the benchmark batch for training.</summary>
    public static IEnumerable<string> Run(string id, int threads) => id switch
    {
        "tiny-transformer" => Transformer(threads),
        "lenet5" => LeNet(threads),
        _ => throw new ArgumentException($"No layer profile for '{id}'; this breakdown knows {string.Join(", ", Models)}.", nameof(id)),
    };

    private const int Sequence = 64, Width = 128, Heads = 4, Hidden = 512, Vocabulary = 96;

    private static IEnumerable<string> Transformer(int threads)
    {
        const string id = "tiny-transformer";
        var (model, batch, classes) = BenchmarkModels.Create(id);
        var (inputs, labels) = BenchmarkModels.SyntheticBatch(model, batch, classes);
        var outputs = new float[batch * model.OutputSize];
        var adam = new Adam(1e-3f, 0.9f, 0.999f, 1e-8f);
        var one = inputs.AsMemory(0, model.InputSize);
        foreach (int rows in new[] { 1, batch })
        {
            var input = rows == 1 ? one : inputs.AsMemory();
            yield return Profile.Line(id, rows, threads, "predict", Profile.Micros(() => model.Predict(input.Span, rows, outputs)));
            foreach (var part in TransformerForward(rows)) yield return Profile.Line(id, rows, threads, part.Name, part.Micros);
        }
        yield return Profile.Line(id, batch, threads, "train-step", Profile.Micros(() => model.TrainStep(inputs, labels, batch, adam)));
        foreach (var part in TransformerBackward(batch, labels)) yield return Profile.Line(id, batch, threads, part.Name, part.Micros);
        yield return Profile.Line(id, batch, threads, "adam", Adam(model.ParameterCount, adam));
    }

    private static List<(string Name, (double, double) Micros)> TransformerForward(int batch)
    {
        var parts = new List<(string Name, (double, double) Micros)>();
        int rows = batch * Sequence;
        var ids = Profile.Filled(rows);
        for (int i = 0; i < rows; i++) ids[i] = i % Vocabulary;
        var table = Profile.Filled(Vocabulary * Width); var positions = Profile.Filled(Sequence * Width);
        var x = Profile.Filled(rows * Width); var y = Profile.Filled(rows * Width); var z = Profile.Filled(rows * Width);
        var gamma = Profile.Filled(Width); var beta = Profile.Filled(Width);
        var mean = Profile.Filled(rows); var invStd = Profile.Filled(rows);
        var attention = AttentionBuffers(batch);
        var up = Profile.Filled(Width * Hidden); var upBias = Profile.Filled(Hidden);
        var hiddenPre = Profile.Filled(rows * Hidden); var hidden = Profile.Filled(rows * Hidden);
        var down = Profile.Filled(Hidden * Width); var logitsWeights = Profile.Filled(Width * Vocabulary);
        var logits = Profile.Filled(rows * Vocabulary);
        parts.Add(("embedding+positions", Profile.Micros(() =>
        {
            fixed (float* pi = ids, pt = table, pp = positions, px = x, py = y)
            {
                EmbeddingKernels.Forward(pi, pt, px, rows, Vocabulary, Width);
                EmbeddingKernels.AddPositions(px, pp, py, batch, Sequence, Width);
            }
        })));
        parts.Add(("layer-norm-forward×5", Times(5, Profile.Micros(() =>
        {
            fixed (float* px = x, pg = gamma, pb = beta, py = y, pm = mean, ps = invStd)
                LayerNormKernels.Forward(px, pg, pb, py, pm, ps, rows, Width, 1e-5f);
        }))));
        parts.Add(("attention-forward×2", Times(2, Profile.Micros(() => attention.Forward(x, y)))));
        // The two projections inside it, alone; the rest of the attention is the heads' work.
        var qkv = Profile.Filled(Width * 3 * Width); var qkvOut = Profile.Filled(rows * 3 * Width);
        parts.Add(("attention-qkv-projection×2", Times(2, Profile.Micros(() =>
        {
            fixed (float* px = x, pw = qkv, pb = upBias, py = qkvOut)
                DenseKernels.Forward(px, pw, pb, py, py, rows, Width, 3 * Width, Activation.None, 0f);
        }))));
        parts.Add(("attention-out-projection×2", Times(2, Profile.Micros(() =>
        {
            fixed (float* px = x, pw = up, pb = upBias, py = y)
                DenseKernels.Forward(px, pw, pb, py, py, rows, Width, Width, Activation.None, 0f);
        }))));
        parts.Add(("residual-add×4", Times(4, Profile.Micros(() =>
        {
            fixed (float* px = x, py = y, pz = z) ElementwiseKernels.Add(px, py, pz, (long)rows * Width);
        }))));
        parts.Add(("dense-up-gelu×2", Times(2, Profile.Micros(() =>
        {
            fixed (float* px = x, pw = up, pb = upBias, pz = hiddenPre, py = hidden)
                DenseKernels.Forward(px, pw, pb, pz, py, rows, Width, Hidden, Activation.GELU, 0f);
        }))));
        parts.Add(("dense-down×2", Times(2, Profile.Micros(() =>
        {
            fixed (float* px = hidden, pw = down, pb = gamma, py = y)
                DenseKernels.Forward(px, pw, pb, py, py, rows, Hidden, Width, Activation.None, 0f);
        }))));
        parts.Add(("dense-logits", Profile.Micros(() =>
        {
            fixed (float* px = x, pw = logitsWeights, pb = upBias, py = logits)
                DenseKernels.Forward(px, pw, pb, py, py, rows, Width, Vocabulary, Activation.None, 0f);
        })));
        return parts;
    }

    private static List<(string Name, (double, double) Micros)> TransformerBackward(int batch, float[] labels)
    {
        var parts = new List<(string Name, (double, double) Micros)>();
        int rows = batch * Sequence;
        var x = Profile.Filled(rows * Width); var dy = Profile.Filled(rows * Width); var dx = Profile.Filled(rows * Width);
        var gamma = Profile.Filled(Width); var dGamma = Profile.Filled(Width); var dBeta = Profile.Filled(Width);
        var mean = Profile.Filled(rows); var invStd = Profile.Filled(rows);
        invStd.AsSpan().Fill(1f);
        var attention = AttentionBuffers(batch);
        attention.Forward(x, dx);
        var up = Profile.Filled(Width * Hidden); var dUp = Profile.Filled(Width * Hidden); var dUpBias = Profile.Filled(Hidden);
        var hiddenPre = Profile.Filled(rows * Hidden); var hidden = Profile.Filled(rows * Hidden); var dHidden = Profile.Filled(rows * Hidden);
        var down = Profile.Filled(Hidden * Width); var dDown = Profile.Filled(Hidden * Width);
        var logitsWeights = Profile.Filled(Width * Vocabulary); var dLogitsWeights = Profile.Filled(Width * Vocabulary);
        var logits = Profile.Filled(rows * Vocabulary); var dLogits = Profile.Filled(rows * Vocabulary);
        var pinnedLabels = GC.AllocateArray<float>(rows, pinned: true);
        labels.AsSpan(0, rows).CopyTo(pinnedLabels);
        var ids = Profile.Filled(rows);
        for (int i = 0; i < rows; i++) ids[i] = i % Vocabulary;
        var dTable = Profile.Filled(Vocabulary * Width); var dPositions = Profile.Filled(Sequence * Width);

        parts.Add(("loss", Profile.Micros(() =>
        {
            fixed (float* l = logits, t = pinnedLabels, d = dLogits) LossKernels.SoftmaxCrossEntropy(l, t, d, rows, Vocabulary);
        })));
        parts.Add(("dense-logits-backward", Profile.Micros(() =>
        {
            fixed (float* px = x, pw = logitsWeights, pdz = dLogits, pdx = dx, pdw = dLogitsWeights, pdb = dUpBias)
                DenseKernels.Backward(px, pw, pdz, pdx, pdw, pdb, rows, Width, Vocabulary);
        })));
        parts.Add(("layer-norm-backward×5", Times(5, Profile.Micros(() =>
        {
            fixed (float* px = x, pg = gamma, pm = mean, ps = invStd, pdy = dy, pdx = dx, pdg = dGamma, pdb = dBeta)
                LayerNormKernels.Backward(px, pg, pm, ps, pdy, pdx, pdg, pdb, rows, Width);
        }))));
        parts.Add(("residual-add-backward×4", Times(8, Profile.Micros(() =>
        {
            fixed (float* pdy = dy, pdx = dx) ElementwiseKernels.AddInto(pdy, pdx, (long)rows * Width);
        }))));
        parts.Add(("dense-down-backward×2", Times(2, Profile.Micros(() =>
        {
            fixed (float* px = hidden, pw = down, pdz = dy, pdx = dHidden, pdw = dDown, pdb = dBeta)
                DenseKernels.Backward(px, pw, pdz, pdx, pdw, pdb, rows, Hidden, Width);
        }))));
        // Out of place: the generated code runs it in place once per step, but repeating that here would shrink the
        // gradient towards subnormal floats and time something no step does.
        var dHiddenPre = Profile.Filled(rows * Hidden);
        parts.Add(("gelu-backward×2", Times(2, Profile.Micros(() =>
        {
            fixed (float* pz = hiddenPre, py = hidden, pd = dHidden, pdz = dHiddenPre)
                ActivationKernels.Backward(Activation.GELU, pz, py, pd, pdz, (long)rows * Hidden, 0f);
        }))));
        parts.Add(("dense-up-backward×2", Times(2, Profile.Micros(() =>
        {
            fixed (float* px = x, pw = up, pdz = dHidden, pdx = dx, pdw = dUp, pdb = dUpBias)
                DenseKernels.Backward(px, pw, pdz, pdx, pdw, pdb, rows, Width, Hidden);
        }))));
        parts.Add(("attention-backward×2", Times(2, Profile.Micros(() => attention.Backward(x, dy, dx)))));
        parts.Add(("embedding+positions-backward", Profile.Micros(() =>
        {
            fixed (float* pi = ids, pdy = dy, pdx = dx, pdt = dTable, pdp = dPositions)
            {
                EmbeddingKernels.AddPositionsBackward(pdy, pdx, pdp, batch, Sequence, Width);
                EmbeddingKernels.Backward(pi, pdx, pdt, rows, Vocabulary, Width, -1);
            }
        })));
        parts.Add(("gradient-clears", Profile.Micros(() =>
        {
            // The generated backward clears every value's gradient: 17 buffers of rows·128 and 2 of rows·512 here.
            fixed (float* pdx = dx, pdh = dHidden)
            {
                for (int i = 0; i < 17; i++) ElementwiseKernels.Clear(pdx, (long)rows * Width);
                for (int i = 0; i < 2; i++) ElementwiseKernels.Clear(pdh, (long)rows * Hidden);
            }
        })));
        return parts;
    }

    /// <summary>One attention layer's parameters and buffers at the transformer's sizes.</summary>
    private sealed class AttentionSet
    {
        private readonly float[] _qkv = Profile.Filled(Width * 3 * Width), _qkvBias = Profile.Filled(3 * Width);
        private readonly float[] _out = Profile.Filled(Width * Width), _outBias = Profile.Filled(Width);
        private readonly float[] _dQkv = Profile.Filled(Width * 3 * Width), _dQkvBias = Profile.Filled(3 * Width);
        private readonly float[] _dOut = Profile.Filled(Width * Width), _dOutBias = Profile.Filled(Width);
        private readonly float[] _saved, _workspace;
        private readonly int _batch;

        public AttentionSet(int batch)
        {
            _batch = batch;
            _saved = Profile.Filled((int)AttentionKernels.SavedSize(batch, Sequence, Width, Heads));
            _workspace = Profile.Filled((int)AttentionKernels.WorkspaceSize(batch, Sequence, Width, Heads));
        }

        public void Forward(float[] x, float[] y)
        {
            fixed (float* px = x, pw = _qkv, pb = _qkvBias, po = _out, pob = _outBias, py = y, ps = _saved, pws = _workspace)
                AttentionKernels.Forward(px, pw, pb, po, pob, py, ps, pws, _batch, Sequence, Width, Heads, causal: true);
        }

        public void Backward(float[] x, float[] dy, float[] dx)
        {
            fixed (float* px = x, pw = _qkv, po = _out, pdy = dy, pdx = dx, pdw = _dQkv, pdb = _dQkvBias, pdo = _dOut, pdob = _dOutBias, ps = _saved, pws = _workspace)
                AttentionKernels.Backward(px, pw, po, pdy, pdx, pdw, pdb, pdo, pdob, ps, pws, _batch, Sequence, Width, Heads, causal: true);
        }
    }

    private static AttentionSet AttentionBuffers(int batch) => new(batch);

    private static IEnumerable<string> LeNet(int threads)
    {
        const string id = "lenet5";
        var (model, batch, classes) = BenchmarkModels.Create(id);
        var (inputs, labels) = BenchmarkModels.SyntheticBatch(model, batch, classes);
        var outputs = new float[batch * model.OutputSize];
        var adam = new Adam(1e-3f, 0.9f, 0.999f, 1e-8f);
        var one = inputs.AsMemory(0, model.InputSize);
        foreach (int rows in new[] { 1, batch })
        {
            var input = rows == 1 ? one : inputs.AsMemory();
            yield return Profile.Line(id, rows, threads, "predict", Profile.Micros(() => model.Predict(input.Span, rows, outputs)));
            foreach (var part in LeNetParts(rows, backward: false)) yield return Profile.Line(id, rows, threads, part.Name, part.Micros);
        }
        yield return Profile.Line(id, batch, threads, "train-step", Profile.Micros(() => model.TrainStep(inputs, labels, batch, adam)));
        foreach (var part in LeNetParts(batch, backward: true)) yield return Profile.Line(id, batch, threads, part.Name, part.Micros);
        yield return Profile.Line(id, batch, threads, "adam", Adam(model.ParameterCount, adam));
    }

    private static List<(string Name, (double, double) Micros)> LeNetParts(int batch, bool backward)
    {
        var parts = new List<(string Name, (double, double) Micros)>();
        var c1 = new Conv2dShape(batch, 1, 28, 28, 6, 5, 5, padTop: 2, padBottom: 2, padLeft: 2, padRight: 2);
        var c2 = new Conv2dShape(batch, 6, 14, 14, 16, 5, 5);
        var p1 = new Pool2dShape(batch, 6, 28, 28, 2, 2, 2, 2);
        var p2 = new Pool2dShape(batch, 16, 10, 10, 2, 2, 2, 2);
        var workspace = Profile.Filled((int)Math.Max(ConvKernels.WorkspaceSize(c1), ConvKernels.WorkspaceSize(c2)));
        var image = Profile.Filled(batch * 784); var dImage = Profile.Filled(batch * 784);
        var c1Pre = Profile.Filled(batch * 4704); var c1Out = Profile.Filled(batch * 4704); var dC1 = Profile.Filled(batch * 4704);
        var pool1 = Profile.Filled(batch * 1176); var dPool1 = Profile.Filled(batch * 1176);
        var c2Pre = Profile.Filled(batch * 1600); var c2Out = Profile.Filled(batch * 1600); var dC2 = Profile.Filled(batch * 1600);
        var pool2 = Profile.Filled(batch * 400); var dPool2 = Profile.Filled(batch * 400);
        var winners1 = GC.AllocateArray<int>(batch * 1176, pinned: true); var winners2 = GC.AllocateArray<int>(batch * 400, pinned: true);
        var w1 = Profile.Filled(150); var b1 = Profile.Filled(6); var dw1 = Profile.Filled(150); var db1 = Profile.Filled(6);
        var w2 = Profile.Filled(2400); var b2 = Profile.Filled(16); var dw2 = Profile.Filled(2400); var db2 = Profile.Filled(16);
        (int In, int Out, Activation Activation)[] dense = { (400, 120, Activation.ReLU), (120, 84, Activation.ReLU), (84, 10, Activation.None) };

        if (!backward)
        {
            parts.Add(("conv1-forward", Profile.Micros(() =>
            {
                fixed (float* x = image, w = w1, b = b1, y = c1Pre, ws = workspace) ConvKernels.Forward(c1, x, w, b, y, ws);
            })));
            parts.Add(("conv1-relu", Profile.Micros(() =>
            {
                fixed (float* z = c1Pre, y = c1Out) ActivationKernels.Forward(Activation.ReLU, z, y, batch * 4704L, 0f);
            })));
            parts.Add(("pool1-forward", Profile.Micros(() =>
            {
                fixed (float* x = c1Out, y = pool1) fixed (int* a = winners1) PoolingKernels.MaxForward(p1, x, y, a);
            })));
            parts.Add(("conv2-forward", Profile.Micros(() =>
            {
                fixed (float* x = pool1, w = w2, b = b2, y = c2Pre, ws = workspace) ConvKernels.Forward(c2, x, w, b, y, ws);
            })));
            parts.Add(("conv2-relu", Profile.Micros(() =>
            {
                fixed (float* z = c2Pre, y = c2Out) ActivationKernels.Forward(Activation.ReLU, z, y, batch * 1600L, 0f);
            })));
            parts.Add(("pool2-forward", Profile.Micros(() =>
            {
                fixed (float* x = c2Out, y = pool2) fixed (int* a = winners2) PoolingKernels.MaxForward(p2, x, y, a);
            })));
            parts.Add(("dense-forward-sum", Profile.DenseForward(dense, batch)));
            return parts;
        }
        fixed (float* x = c1Out, y = pool1) fixed (int* a = winners1) PoolingKernels.MaxForward(p1, x, y, a);
        fixed (float* x = c2Out, y = pool2) fixed (int* a = winners2) PoolingKernels.MaxForward(p2, x, y, a);
        parts.Add(("dense-backward-sum", Profile.DenseBackward(dense, batch)));
        parts.Add(("pool2-backward", Profile.Micros(() =>
        {
            fixed (float* dy = dPool2, dx = dC2) fixed (int* a = winners2) PoolingKernels.MaxBackward(p2, dy, a, dx);
        })));
        parts.Add(("conv2-relu-backward", Profile.Micros(() =>
        {
            fixed (float* z = c2Pre, y = c2Out, d = dC2) ActivationKernels.Backward(Activation.ReLU, z, y, d, d, batch * 1600L, 0f);
        })));
        parts.Add(("conv2-backward", Profile.Micros(() =>
        {
            fixed (float* x = pool1, w = w2, dy = dC2, dx = dPool1, dw = dw2, db = db2, ws = workspace) ConvKernels.Backward(c2, x, w, dy, dx, dw, db, ws);
        })));
        // Its two halves, to see which one the time goes to (not part of the step).
        parts.Add(("conv2-backward-weights-only", Profile.Micros(() =>
        {
            fixed (float* x = pool1, w = w2, dy = dC2, dw = dw2, db = db2, ws = workspace) ConvKernels.Backward(c2, x, w, dy, null, dw, db, ws);
        })));
        parts.Add(("conv2-backward-input-only", Profile.Micros(() =>
        {
            fixed (float* x = pool1, w = w2, dy = dC2, dx = dPool1, ws = workspace) ConvKernels.Backward(c2, x, w, dy, dx, null, null, ws);
        })));
        parts.Add(("pool1-backward", Profile.Micros(() =>
        {
            fixed (float* dy = dPool1, dx = dC1) fixed (int* a = winners1) PoolingKernels.MaxBackward(p1, dy, a, dx);
        })));
        parts.Add(("conv1-relu-backward", Profile.Micros(() =>
        {
            fixed (float* z = c1Pre, y = c1Out, d = dC1) ActivationKernels.Backward(Activation.ReLU, z, y, d, d, batch * 4704L, 0f);
        })));
        parts.Add(("conv1-backward", Profile.Micros(() =>
        {
            fixed (float* x = image, w = w1, dy = dC1, dw = dw1, db = db1, ws = workspace) ConvKernels.Backward(c1, x, w, dy, null, dw, db, ws);
        })));
        parts.Add(("gradient-clears", Profile.Micros(() =>
        {
            fixed (float* d1 = dC1, d2 = dPool1, d3 = dC2, d4 = dPool2)
            {
                ElementwiseKernels.Clear(d1, batch * 4704L);
                ElementwiseKernels.Clear(d2, batch * 1176L);
                ElementwiseKernels.Clear(d3, batch * 1600L);
                ElementwiseKernels.Clear(d4, batch * 400L);
            }
        })));
        return parts;
    }

    private static (double, double) Adam(int parameterCount, Adam adam)
    {
        var parameters = new float[parameterCount];
        var gradients = new float[parameterCount];
        gradients.AsSpan().Fill(1e-3f);
        return Profile.Micros(() => adam.Step(parameters, gradients));
    }

    private static (double, double) Times(int count, (double Min, double Median) micros) => (count * micros.Min, count * micros.Median);
}
