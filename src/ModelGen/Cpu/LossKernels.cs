using System;
using System.Numerics;
using System.Runtime.Intrinsics;

namespace ModelGen.Cpu;

/// <summary>
/// Losses fused with their gradient: each returns the mean loss over the batch and, when the
/// gradient pointer is not null, writes d(mean loss)/d(outputs) in the same pass.
/// </summary>
public static unsafe class LossKernels
{
    /// <summary>
    /// Softmax over each row of <paramref name="logits"/> fused with cross-entropy against class
    /// indices in <paramref name="labels"/> (one per row). Gradient: (softmax − one-hot) / batch.
    /// While <see cref="ClassWeightScope"/> is active on the calling thread (a <see cref="Model.Fit"/> with class
    /// weights), the loss is the weighted mean Σ wᵧ·ℓᵢ / Σ wᵧ and the gradient (softmax − one-hot)·wᵧ / Σ wᵧ, as PyTorch's
    /// <c>CrossEntropyLoss(weight=w, reduction='mean')</c>; a batch whose weights sum to 0 gives loss and gradient 0.
    /// </summary>
    /// <exception cref="ArgumentException">A label is not an integer in 0…classes−1.</exception>
    public static T SoftmaxCrossEntropy<T>(T* logits, T* labels, T* dLogits, int batch, int classes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (ClassWeightScope.Current is { } classWeights) return WeightedSoftmaxCrossEntropy(logits, labels, dLogits, batch, classes, classWeights);
        T total = T.Zero;
        T invBatch = T.One / T.CreateTruncating(batch);
        for (int r = 0; r < batch; r++)
            total += SoftmaxCrossEntropyRow(logits, labels, dLogits, r, classes, invBatch);
        return total * invBatch;
    }

    /// <summary>
    /// <see cref="SoftmaxCrossEntropy{T}(T*, T*, T*, int, int)"/> over per-position labels of
    /// variable-length sequences (PyTorch's <c>ignore_index</c> semantics): row <c>b·sequence + t</c>
    /// counts only when <c>t &lt; lengths[b]</c>. The loss is the mean over the counted rows and their
    /// gradient is (softmax − one-hot) / counted; the other rows get gradient 0 and their labels are
    /// neither read nor validated. With no counted row the loss and every gradient are 0.
    /// </summary>
    /// <param name="logits">Logits <c>[batch, sequence, classes]</c>.</param>
    /// <param name="labels">Class indices <c>[batch, sequence]</c>.</param>
    /// <param name="dLogits">Receives d(loss)/d(logits) <c>[batch, sequence, classes]</c>, or null.</param>
    /// <param name="batch">Samples.</param>
    /// <param name="sequence">Positions per sample.</param>
    /// <param name="classes">Classes per row.</param>
    /// <param name="lengths">Valid positions per sample <c>[batch]</c>, each 0 … sequence; null when every position counts.</param>
    /// <exception cref="ArgumentException">A counted label is not an integer in 0…classes−1, or a length is outside 0 … sequence.</exception>
    public static T SoftmaxCrossEntropy<T>(T* logits, T* labels, T* dLogits, int batch, int sequence, int classes, int* lengths)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long counted = 0;
        for (int b = 0; b < batch; b++) counted += SequenceLengths.Get(lengths, b, sequence);
        if (dLogits != null) ElementwiseKernels.Clear(dLogits, (long)batch * sequence * classes);
        if (counted == 0) return T.Zero;
        T total = T.Zero;
        T invCount = T.One / T.CreateTruncating(counted);
        for (int b = 0; b < batch; b++)
        {
            int length = SequenceLengths.Get(lengths, b, sequence);
            for (int t = 0; t < length; t++)
                total += SoftmaxCrossEntropyRow(logits, labels, dLogits, b * sequence + t, classes, invCount);
        }
        return total * invCount;
    }

    // PyTorch's CrossEntropyLoss(weight=w, reduction='mean'): Σ w[yᵢ]·ℓᵢ / Σ w[yᵢ].
    private static T WeightedSoftmaxCrossEntropy<T>(T* logits, T* labels, T* dLogits, int batch, int classes, float[] classWeights)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (classWeights.Length != classes)
            throw new ArgumentException($"There are {classWeights.Length} class weights for a softmax over {classes} classes; give one weight per class.", nameof(classWeights));
        T weightSum = T.Zero;
        for (int r = 0; r < batch; r++) weightSum += T.CreateTruncating(classWeights[ClassIndex(labels[r], classes, r)]);
        if (weightSum == T.Zero)
        {
            // Only rows of weight-0 classes: nothing to learn from this batch (PyTorch would give 0/0).
            if (dLogits != null) new Span<T>(dLogits, checked(batch * classes)).Clear();
            return T.Zero;
        }
        T total = T.Zero;
        for (int r = 0; r < batch; r++)
        {
            T share = T.CreateTruncating(classWeights[ClassIndex(labels[r], classes, r)]) / weightSum;
            total += share * SoftmaxCrossEntropyRow(logits, labels, dLogits, r, classes, share);
        }
        return total;
    }

    /// <summary>One row's cross-entropy (returned unscaled) and, when <paramref name="dLogits"/> is not null, its gradient times <paramref name="scale"/>.</summary>
    private static T SoftmaxCrossEntropyRow<T>(T* logits, T* labels, T* dLogits, int r, int classes, T scale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* row = logits + (long)r * classes;
        int label = ClassIndex(labels[r], classes, r);
        if (typeof(T) == typeof(float) && Vector256.IsHardwareAccelerated)
            return T.CreateTruncating(SoftmaxCrossEntropyRow((float*)row, dLogits == null ? null : (float*)dLogits + (long)r * classes, label, classes, float.CreateTruncating(scale)));
        T max = row[0];
        for (int j = 1; j < classes; j++) if (row[j] > max) max = row[j];
        T sum = T.Zero;
        for (int j = 0; j < classes; j++) sum += T.Exp(row[j] - max);
        T logSum = T.Log(sum) + max;
        if (dLogits != null)
        {
            T* grad = dLogits + (long)r * classes;
            for (int j = 0; j < classes; j++)
            {
                T p = T.Exp(row[j] - logSum);
                grad[j] = (j == label ? p - T.One : p) * scale;
            }
        }
        return logSum - row[label];
    }

    /// <summary>
    /// The float row on 256-bit vectors with <see cref="VectorExp"/>: the same formulas, the sum of the exponentials
    /// taken lane-wise then across the lanes (a fixed order for a given row length). The tail goes through a vector
    /// padded with −∞, whose exponentials are 0.
    /// </summary>
    private static float SoftmaxCrossEntropyRow(float* row, float* grad, int label, int classes, float scale)
    {
        int j = 0;
        var maxes = Vector256.Create(float.NegativeInfinity);
        for (; j + 8 <= classes; j += 8) maxes = Vector256.Max(maxes, Vector256.Load(row + j));
        float max = float.NegativeInfinity;
        for (int l = 0; l < 8; l++) max = MathF.Max(max, maxes[l]);
        for (; j < classes; j++) max = MathF.Max(max, row[j]);
        float* pad = stackalloc float[8];
        int whole = classes & ~7, rest = classes - whole;
        if (rest > 0)
        {
            new Span<float>(pad, 8).Fill(float.NegativeInfinity);
            new ReadOnlySpan<float>(row + whole, rest).CopyTo(new Span<float>(pad, 8));
        }
        var shift = Vector256.Create(max);
        var sums = Vector256<float>.Zero;
        for (j = 0; j < whole; j += 8) sums += VectorExp.Exp(Vector256.Load(row + j) - shift);
        if (rest > 0) sums += VectorExp.Exp(Vector256.Load(pad) - shift);
        float logSum = MathF.Log(Vector256.Sum(sums)) + max;
        if (grad != null)
        {
            var logShift = Vector256.Create(logSum);
            var factor = Vector256.Create(scale);
            for (j = 0; j < whole; j += 8) Vector256.Store(VectorExp.Exp(Vector256.Load(row + j) - logShift) * factor, grad + j);
            if (rest > 0)
            {
                Vector256.Store(VectorExp.Exp(Vector256.Load(pad) - logShift) * factor, pad);
                new ReadOnlySpan<float>(pad, rest).CopyTo(new Span<float>(grad + whole, rest));
            }
            grad[label] = (VectorExp.Exp(row[label] - logSum) - 1f) * scale;
        }
        return logSum - row[label];
    }

    /// <summary>Mean over all elements of (prediction − target)². Gradient: 2(p − t)/count.</summary>
    public static T MeanSquaredError<T>(T* predictions, T* targets, T* dPredictions, long count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T total = T.Zero;
        T scale = T.CreateTruncating(2) / T.CreateTruncating(count);
        for (long i = 0; i < count; i++)
        {
            T d = predictions[i] - targets[i];
            total += d * d;
            if (dPredictions != null) dPredictions[i] = scale * d;
        }
        return total / T.CreateTruncating(count);
    }

    /// <summary>
    /// Binary cross-entropy on logits, mean over all elements:
    /// <c>w·t·softplus(−z) + (1 − t)·softplus(z)</c> with w = <paramref name="posWeight"/>.
    /// Gradient: (w·t·(σ(z) − 1) + (1 − t)·σ(z)) / count.
    /// </summary>
    public static T BinaryCrossEntropyWithLogits<T>(T* logits, T* targets, T* dLogits, long count, T posWeight)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T total = T.Zero;
        T invCount = T.One / T.CreateTruncating(count);
        for (long i = 0; i < count; i++)
        {
            T z = logits[i], t = targets[i];
            total += posWeight * t * Softplus(-z) + (T.One - t) * Softplus(z);
            if (dLogits != null)
            {
                T s = ActivationKernels.Sigmoid(z);
                dLogits[i] = (posWeight * t * (s - T.One) + (T.One - t) * s) * invCount;
            }
        }
        return total * invCount;
    }

    /// <summary>
    /// Mean over all elements of |prediction − target| (L1, PyTorch's <c>L1Loss</c>). Gradient:
    /// sign(p − t)/count, 0 where they are equal (as PyTorch).
    /// </summary>
    public static T MeanAbsoluteError<T>(T* predictions, T* targets, T* dPredictions, long count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T total = T.Zero;
        T invCount = T.One / T.CreateTruncating(count);
        for (long i = 0; i < count; i++)
        {
            T d = predictions[i] - targets[i];
            total += T.Abs(d);
            if (dPredictions != null) dPredictions[i] = (d > T.Zero ? T.One : d < T.Zero ? -T.One : T.Zero) * invCount;
        }
        return total * invCount;
    }

    /// <summary>
    /// Huber loss, mean over all elements (PyTorch's <c>HuberLoss(delta)</c>): with d = p − t,
    /// ½d² where |d| &lt; δ, δ·(|d| − ½δ) elsewhere. Gradient: clamp(d, −δ, δ)/count.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delta"/> is not positive.</exception>
    public static T Huber<T>(T* predictions, T* targets, T* dPredictions, long count, T delta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!(delta > T.Zero)) throw new ArgumentOutOfRangeException(nameof(delta), delta, "The Huber delta must be positive.");
        T total = T.Zero;
        T half = T.CreateTruncating(0.5);
        T invCount = T.One / T.CreateTruncating(count);
        for (long i = 0; i < count; i++)
        {
            T d = predictions[i] - targets[i];
            T a = T.Abs(d);
            total += a < delta ? half * d * d : delta * (a - half * delta);
            if (dPredictions != null) dPredictions[i] = T.Clamp(d, -delta, delta) * invCount;
        }
        return total * invCount;
    }

    /// <summary>
    /// Contrastive loss over pairs of embeddings (Hadsell, Chopra &amp; LeCun), mean over the batch:
    /// with d = ‖first − second‖₂ per pair and label y (1 = similar, 0 = dissimilar),
    /// <c>½·y·d² + ½·(1 − y)·max(0, margin − d)²</c>. Gradients (written, not accumulated):
    /// <c>dFirst = (y − (1 − y)·max(0, margin − d)/d)·(first − second)/batch</c>, <c>dSecond = −dFirst</c>;
    /// a dissimilar pair at distance exactly 0 has no defined direction and gets gradient 0.
    /// </summary>
    /// <param name="first">Embeddings <c>[batch, dimension]</c>.</param>
    /// <param name="second">Embeddings <c>[batch, dimension]</c>, paired row by row with <paramref name="first"/>.</param>
    /// <param name="labels">Per pair 1 (similar) or 0 (dissimilar) <c>[batch]</c>.</param>
    /// <param name="dFirst">Receives d(loss)/d(first), or null.</param>
    /// <param name="dSecond">Receives d(loss)/d(second), or null.</param>
    /// <param name="batch">Pairs.</param>
    /// <param name="dimension">Embedding size.</param>
    /// <param name="margin">Distance beyond which dissimilar pairs cost nothing.</param>
    /// <exception cref="ArgumentException">A label is not 0 or 1; the message names its row.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="margin"/> is negative.</exception>
    public static T Contrastive<T>(T* first, T* second, T* labels, T* dFirst, T* dSecond, int batch, int dimension, T margin)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!(margin >= T.Zero)) throw new ArgumentOutOfRangeException(nameof(margin), margin, "The contrastive margin must not be negative.");
        T total = T.Zero;
        T half = T.CreateTruncating(0.5);
        T invBatch = T.One / T.CreateTruncating(batch);
        for (int r = 0; r < batch; r++)
        {
            T y = labels[r];
            if (y != T.Zero && y != T.One)
                throw new ArgumentException($"Row {r} of the batch has similarity label {y}, but contrastive labels must be 0 (dissimilar) or 1 (similar).");
            T* a = first + (long)r * dimension;
            T* b = second + (long)r * dimension;
            T squared = T.Zero;
            for (int j = 0; j < dimension; j++)
            {
                T d = a[j] - b[j];
                squared += d * d;
            }
            T coefficient;
            if (y == T.One)
            {
                total += half * squared;
                coefficient = T.One;
            }
            else
            {
                T distance = T.Sqrt(squared);
                T gap = T.Max(margin - distance, T.Zero);
                total += half * gap * gap;
                coefficient = gap > T.Zero && distance > T.Zero ? -gap / distance : T.Zero;
            }
            coefficient *= invBatch;
            for (int j = 0; j < dimension; j++)
            {
                T g = coefficient * (a[j] - b[j]);
                if (dFirst != null) dFirst[(long)r * dimension + j] = g;
                if (dSecond != null) dSecond[(long)r * dimension + j] = -g;
            }
        }
        return total * invBatch;
    }

    /// <summary>log(1 + eᶻ) without overflow.</summary>
    public static T Softplus<T>(T z) where T : unmanaged, IFloatingPointIeee754<T>
        => T.Max(z, T.Zero) + T.Log(T.One + T.Exp(-T.Abs(z)));

    private static int ClassIndex<T>(T label, int classes, int row) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int index = int.CreateSaturating(label);
        if (T.CreateTruncating(index) != label || index < 0 || index >= classes)
            throw new ArgumentException($"Row {row} of the batch has label {label}, but the model has {classes} classes (labels must be integers 0…{classes - 1}).");
        return index;
    }
}
