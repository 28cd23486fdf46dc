// ModelGen CUDA templates: 2-D max and average pooling (floor mode, symmetric padding; average
// counts the padding, as the CPU path) and global average pooling, over NCHW.
#pragma once
#include "common.cuh"

namespace mg {

template <int C, int InH, int InW, int K, int Stride, int Pad>
struct PoolShape
{
    static constexpr int kC = C, kInH = InH, kInW = InW, kK = K, kStride = Stride, kPad = Pad;
    static constexpr int kOutH = (InH + 2 * Pad - K) / Stride + 1;
    static constexpr int kOutW = (InW + 2 * Pad - K) / Stride + 1;
    static_assert(kOutH >= 1 && kOutW >= 1, "the pooling output must not be empty");
};

/// y = max over each window; winners[i] = index of the maximum within the input plane (first on ties).
template <class S>
__device__ __forceinline__ void max_pool_forward(const float* __restrict__ x, float* __restrict__ y, int* __restrict__ winners, int batch)
{
    const long long count = (long long)batch * S::kC * S::kOutH * S::kOutW;
    for (long long i = global_thread(); i < count; i += grid_threads())
    {
        const int ox = (int)(i % S::kOutW), oy = (int)((i / S::kOutW) % S::kOutH);
        const long long plane = i / ((long long)S::kOutW * S::kOutH);
        const float* xp = x + plane * S::kInH * S::kInW;
        float best = negative_infinity();
        int at = -1;
        for (int ky = 0; ky < S::kK; ky++)
        {
            const int iy = oy * S::kStride - S::kPad + ky;
            if (iy < 0 || iy >= S::kInH) continue;
            for (int kx = 0; kx < S::kK; kx++)
            {
                const int ix = ox * S::kStride - S::kPad + kx;
                if (ix < 0 || ix >= S::kInW) continue;
                const float v = xp[iy * S::kInW + ix];
                if (at < 0 || v > best) { best = v; at = iy * S::kInW + ix; }
            }
        }
        y[i] = best;
        winners[i] = at;
    }
}

/// dx += dy of every window whose winner is this input (gathered per input value: no atomics).
template <class S>
__device__ __forceinline__ void max_pool_backward(const float* __restrict__ dy, const int* __restrict__ winners, float* __restrict__ dx, int batch)
{
    const long long count = (long long)batch * S::kC * S::kInH * S::kInW;
    for (long long i = global_thread(); i < count; i += grid_threads())
    {
        const int ix = (int)(i % S::kInW), iy = (int)((i / S::kInW) % S::kInH);
        const long long plane = i / ((long long)S::kInW * S::kInH);
        const int self = iy * S::kInW + ix;
        float s = 0.0f;
        for (int ky = 0; ky < S::kK; ky++)
        {
            const int ty = iy + S::kPad - ky;
            if (ty < 0 || ty % S::kStride != 0 || ty / S::kStride >= S::kOutH) continue;
            for (int kx = 0; kx < S::kK; kx++)
            {
                const int tx = ix + S::kPad - kx;
                if (tx < 0 || tx % S::kStride != 0 || tx / S::kStride >= S::kOutW) continue;
                const long long o = (plane * S::kOutH + ty / S::kStride) * S::kOutW + tx / S::kStride;
                if (winners[o] == self) s += dy[o];
            }
        }
        dx[i] += s;
    }
}

/// y = mean over each window, padding counted as zeros.
template <class S>
__device__ __forceinline__ void avg_pool_forward(const float* __restrict__ x, float* __restrict__ y, int batch)
{
    const long long count = (long long)batch * S::kC * S::kOutH * S::kOutW;
    for (long long i = global_thread(); i < count; i += grid_threads())
    {
        const int ox = (int)(i % S::kOutW), oy = (int)((i / S::kOutW) % S::kOutH);
        const float* xp = x + (i / ((long long)S::kOutW * S::kOutH)) * S::kInH * S::kInW;
        float s = 0.0f;
        for (int ky = 0; ky < S::kK; ky++)
        {
            const int iy = oy * S::kStride - S::kPad + ky;
            if (iy < 0 || iy >= S::kInH) continue;
            for (int kx = 0; kx < S::kK; kx++)
            {
                const int ix = ox * S::kStride - S::kPad + kx;
                if (ix >= 0 && ix < S::kInW) s += xp[iy * S::kInW + ix];
            }
        }
        y[i] = s / (float)(S::kK * S::kK);
    }
}

/// dx += Σ over the windows containing this input of dy / K².
template <class S>
__device__ __forceinline__ void avg_pool_backward(const float* __restrict__ dy, float* __restrict__ dx, int batch)
{
    const long long count = (long long)batch * S::kC * S::kInH * S::kInW;
    for (long long i = global_thread(); i < count; i += grid_threads())
    {
        const int ix = (int)(i % S::kInW), iy = (int)((i / S::kInW) % S::kInH);
        const long long plane = i / ((long long)S::kInW * S::kInH);
        float s = 0.0f;
        for (int ky = 0; ky < S::kK; ky++)
        {
            const int ty = iy + S::kPad - ky;
            if (ty < 0 || ty % S::kStride != 0 || ty / S::kStride >= S::kOutH) continue;
            for (int kx = 0; kx < S::kK; kx++)
            {
                const int tx = ix + S::kPad - kx;
                if (tx < 0 || tx % S::kStride != 0 || tx / S::kStride >= S::kOutW) continue;
                s += dy[(plane * S::kOutH + ty / S::kStride) * S::kOutW + tx / S::kStride];
            }
        }
        dx[i] += s / (float)(S::kK * S::kK);
    }
}

/// y[n, c] = mean of the Spatial values of channel c (one thread per (n, c)).
template <int Channels, int Spatial>
__device__ __forceinline__ void global_avg_pool_forward(const float* __restrict__ x, float* __restrict__ y, int batch)
{
    for (long long i = global_thread(); i < (long long)batch * Channels; i += grid_threads())
    {
        float s = 0.0f;
        for (int p = 0; p < Spatial; p++) s += x[i * Spatial + p];
        y[i] = s / (float)Spatial;
    }
}

/// dx += dy[n, c] / Spatial.
template <int Channels, int Spatial>
__device__ __forceinline__ void global_avg_pool_backward(const float* __restrict__ dy, float* __restrict__ dx, int batch)
{
    for (long long i = global_thread(); i < (long long)batch * Channels * Spatial; i += grid_threads()) dx[i] += dy[i / Spatial] / (float)Spatial;
}

} // namespace mg
