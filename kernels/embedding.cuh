// ModelGen CUDA templates: embedding lookup (ids stored as float, as class labels are) and its
// gradient, each sample's length for variable-length sequences, and learned positional embeddings.
// The projections around them are GEMMs (gemm.cuh).
#pragma once
#include "common.cuh"

namespace mg {

/// y[i, :] = table[ids[i·IdStride], :] written at y + i·YStride: a [batch, fields] id tensor read one
/// field at a time can land straight in its columns of a concatenated output. An id outside
/// 0…Vocabulary−1 gives NaN rows (the CPU path throws instead).
template <int Vocabulary, int Dimension, int IdStride, int YStride>
__device__ __forceinline__ void embedding_forward(const float* __restrict__ ids, const float* __restrict__ table, float* __restrict__ y, long long count)
{
    for (long long e = global_thread(); e < count * Dimension; e += grid_threads())
    {
        const long long i = e / Dimension;
        const int j = (int)(e % Dimension);
        const float value = ids[i * IdStride];
        const int id = (int)value;
        const bool valid = value == (float)id && id >= 0 && id < Vocabulary;
        y[i * YStride + j] = valid ? table[(long long)id * Dimension + j] : __int_as_float(0x7fc00000);
    }
}

/// dtable[ids[i], :] += dy[i, :], except for the Padding id (−1: none), whose row never learns. Rows that
/// share an id add with atomics (their order may vary, so the last bits of a repeated id's gradient can
/// differ between runs).
template <int Vocabulary, int Dimension, int IdStride, int YStride, int Padding = -1>
__device__ __forceinline__ void embedding_backward(const float* __restrict__ ids, const float* __restrict__ dy, float* __restrict__ dtable, long long count)
{
    for (long long e = global_thread(); e < count * Dimension; e += grid_threads())
    {
        const long long i = e / Dimension;
        const int j = (int)(e % Dimension);
        const int id = (int)ids[i * IdStride];
        if (id >= 0 && id < Vocabulary && id != Padding) atomicAdd(dtable + (long long)id * Dimension + j, dy[i * YStride + j]);
    }
}

/// Variable-length sequences (MaskPadding): lengths[n] = one past the last id of sample n that is not
/// Padding (0 when every id is), over ids [batch, Sequence]. One thread per sample, scanning back from the end.
template <int Sequence, int Padding>
__device__ __forceinline__ void sequence_lengths(const float* __restrict__ ids, int* __restrict__ lengths, int batch)
{
    for (long long n = global_thread(); n < batch; n += grid_threads())
    {
        const float* row = ids + n * Sequence;
        int length = Sequence;
        while (length > 0 && row[length - 1] == (float)Padding) length--;
        lengths[n] = length;
    }
}

/// y[n, t, :] = x[n, t, :] + positions[t, :] (y may alias x).
template <int Sequence, int Dimension>
__device__ __forceinline__ void add_positions(const float* x, const float* __restrict__ positions, float* y, int batch)
{
    for (long long e = global_thread(); e < (long long)batch * Sequence * Dimension; e += grid_threads())
        y[e] = x[e] + positions[e % ((long long)Sequence * Dimension)];
}

/// dpositions[t, :] += Σ_n dy[n, t, :] (one thread per position element, samples in order).
template <int Sequence, int Dimension>
__device__ __forceinline__ void add_positions_backward(const float* __restrict__ dy, float* __restrict__ dpositions, int batch)
{
    for (long long e = global_thread(); e < (long long)Sequence * Dimension; e += grid_threads())
    {
        float s = 0.0f;
        for (long long n = 0; n < batch; n++) s += dy[n * Sequence * Dimension + e];
        dpositions[e] += s;
    }
}

} // namespace mg
