using System;

namespace ModelGen.Cpu;

/// <summary>
/// Reading the optional per-sample sequence lengths the padding-aware kernels take (see
/// <see cref="EmbeddingKernels.Lengths{T}"/>): a null pointer means every sample has the full length.
/// </summary>
internal static unsafe class SequenceLengths
{
    /// <summary>Sample <paramref name="sample"/>'s length, or <paramref name="sequence"/> when <paramref name="lengths"/> is null.</summary>
    /// <exception cref="ArgumentException">The length is outside 0 … sequence.</exception>
    public static int Get(int* lengths, int sample, int sequence)
    {
        if (lengths == null) return sequence;
        int length = lengths[sample];
        if ((uint)length > (uint)sequence)
            throw new ArgumentException($"Sample {sample} has sequence length {length}, but lengths must be 0…{sequence}.", nameof(lengths));
        return length;
    }

    /// <summary>Checks every length before a kernel starts writing, so a bad one cannot leave half-updated buffers.</summary>
    /// <exception cref="ArgumentException">A length is outside 0 … sequence.</exception>
    public static void Validate(int* lengths, int batch, int sequence)
    {
        if (lengths == null) return;
        for (int b = 0; b < batch; b++) Get(lengths, b, sequence);
    }
}
