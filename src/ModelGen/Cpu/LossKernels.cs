using System;
using System.Numerics;

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
    /// </summary>
    /// <exception cref="ArgumentException">A label is not an integer in 0…classes−1.</exception>
    public static T SoftmaxCrossEntropy<T>(T* logits, T* labels, T* dLogits, int batch, int classes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T total = T.Zero;
        T invBatch = T.One / T.CreateTruncating(batch);
        for (int r = 0; r < batch; r++)
        {
            T* row = logits + (long)r * classes;
            int label = ClassIndex(labels[r], classes, r);
            T max = row[0];
            for (int j = 1; j < classes; j++) if (row[j] > max) max = row[j];
            T sum = T.Zero;
            for (int j = 0; j < classes; j++) sum += T.Exp(row[j] - max);
            T logSum = T.Log(sum) + max;
            total += logSum - row[label];
            if (dLogits != null)
            {
                T* grad = dLogits + (long)r * classes;
                for (int j = 0; j < classes; j++)
                {
                    T p = T.Exp(row[j] - logSum);
                    grad[j] = (j == label ? p - T.One : p) * invBatch;
                }
            }
        }
        return total * invBatch;
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
