// ModelGen CUDA templates: 2-D convolution over NCHW (square kernel, symmetric padding, stride,
// dilation, groups), weights [Out, In/Groups, K, K] as on the CPU. Direct loops, one thread per
// output value (forward), per input value (data gradient, gathering, so no atomics) and per
// weight (weight gradient, batch·positions in order): simple, deterministic, not tuned.
#pragma once
#include "common.cuh"

namespace mg {

/// Compile-time geometry of one convolution call site.
template <int InC, int InH, int InW, int OutC, int K, int Stride, int Pad, int Dilation, int Groups>
struct ConvShape
{
    static constexpr int kInC = InC, kInH = InH, kInW = InW, kOutC = OutC, kK = K;
    static constexpr int kStride = Stride, kPad = Pad, kDilation = Dilation, kGroups = Groups;
    static constexpr int kOutH = (InH + 2 * Pad - Dilation * (K - 1) - 1) / Stride + 1;
    static constexpr int kOutW = (InW + 2 * Pad - Dilation * (K - 1) - 1) / Stride + 1;
    static constexpr int kInPerGroup = InC / Groups, kOutPerGroup = OutC / Groups;
    static_assert(InC % Groups == 0 && OutC % Groups == 0, "channels must divide into groups");
    static_assert(kOutH >= 1 && kOutW >= 1, "the convolution output must not be empty");
};

/// pre = conv(x, w) + bias (bias may be null); y = f(pre); pre is stored only when f is not the identity.
template <class S, Act A>
__device__ __forceinline__ void conv2d_forward(const float* __restrict__ x, const float* __restrict__ w, const float* __restrict__ bias,
                                               float* __restrict__ pre, float* __restrict__ y, int batch, float slope)
{
    const long long count = (long long)batch * S::kOutC * S::kOutH * S::kOutW;
    for (long long i = global_thread(); i < count; i += grid_threads())
    {
        const int ox = (int)(i % S::kOutW), oy = (int)((i / S::kOutW) % S::kOutH);
        const int oc = (int)((i / ((long long)S::kOutW * S::kOutH)) % S::kOutC);
        const long long n = i / ((long long)S::kOutW * S::kOutH * S::kOutC);
        const int g = oc / S::kOutPerGroup;
        float s = bias != nullptr ? bias[oc] : 0.0f;
        for (int ic = 0; ic < S::kInPerGroup; ic++)
        {
            const float* xc = x + ((n * S::kInC) + g * S::kInPerGroup + ic) * S::kInH * S::kInW;
            const float* wc = w + ((long long)oc * S::kInPerGroup + ic) * S::kK * S::kK;
            for (int ky = 0; ky < S::kK; ky++)
            {
                const int iy = oy * S::kStride - S::kPad + ky * S::kDilation;
                if (iy < 0 || iy >= S::kInH) continue;
                for (int kx = 0; kx < S::kK; kx++)
                {
                    const int ix = ox * S::kStride - S::kPad + kx * S::kDilation;
                    if (ix < 0 || ix >= S::kInW) continue;
                    s = fmaf(xc[iy * S::kInW + ix], wc[ky * S::kK + kx], s);
                }
            }
        }
        if (A != Act::None) pre[i] = s;
        y[i] = activate<A>(s, slope);
    }
}

/// dx += Σ over the outputs that read x: dy · w (gathered per input value).
template <class S>
__device__ __forceinline__ void conv2d_backward_data(const float* __restrict__ w, const float* __restrict__ dy, float* __restrict__ dx, int batch)
{
    const long long count = (long long)batch * S::kInC * S::kInH * S::kInW;
    for (long long i = global_thread(); i < count; i += grid_threads())
    {
        const int ix = (int)(i % S::kInW), iy = (int)((i / S::kInW) % S::kInH);
        const int ic = (int)((i / ((long long)S::kInW * S::kInH)) % S::kInC);
        const long long n = i / ((long long)S::kInW * S::kInH * S::kInC);
        const int g = ic / S::kInPerGroup, icg = ic % S::kInPerGroup;
        float s = 0.0f;
        for (int ocg = 0; ocg < S::kOutPerGroup; ocg++)
        {
            const int oc = g * S::kOutPerGroup + ocg;
            const float* dyc = dy + (n * S::kOutC + oc) * S::kOutH * S::kOutW;
            const float* wc = w + ((long long)oc * S::kInPerGroup + icg) * S::kK * S::kK;
            for (int ky = 0; ky < S::kK; ky++)
            {
                const int ty = iy + S::kPad - ky * S::kDilation;
                if (ty < 0 || ty % S::kStride != 0) continue;
                const int oy = ty / S::kStride;
                if (oy >= S::kOutH) continue;
                for (int kx = 0; kx < S::kK; kx++)
                {
                    const int tx = ix + S::kPad - kx * S::kDilation;
                    if (tx < 0 || tx % S::kStride != 0) continue;
                    const int ox = tx / S::kStride;
                    if (ox >= S::kOutW) continue;
                    s = fmaf(dyc[oy * S::kOutW + ox], wc[ky * S::kK + kx], s);
                }
            }
        }
        dx[i] += s;
    }
}

/// dw += Σ_{n, oy, ox} dy · x, one thread per weight; db += Σ dy per output channel (db may be null).
template <class S>
__device__ __forceinline__ void conv2d_backward_parameters(const float* __restrict__ x, const float* __restrict__ dy, float* __restrict__ dw,
                                                           float* __restrict__ db, int batch)
{
    constexpr long long weights = (long long)S::kOutC * S::kInPerGroup * S::kK * S::kK;
    const long long total = weights + (db != nullptr ? S::kOutC : 0);
    for (long long i = global_thread(); i < total; i += grid_threads())
    {
        if (i >= weights)
        {
            const int oc = (int)(i - weights);
            db[oc] += channel_sum(dy, oc, S::kOutC, S::kOutH * S::kOutW, batch);
            continue;
        }
        const int kx = (int)(i % S::kK), ky = (int)((i / S::kK) % S::kK);
        const int icg = (int)((i / (S::kK * S::kK)) % S::kInPerGroup);
        const int oc = (int)(i / ((long long)S::kK * S::kK * S::kInPerGroup));
        const int ic = (oc / S::kOutPerGroup) * S::kInPerGroup + icg;
        float s = 0.0f;
        for (long long n = 0; n < batch; n++)
        {
            const float* xc = x + (n * S::kInC + ic) * S::kInH * S::kInW;
            const float* dyc = dy + (n * S::kOutC + oc) * S::kOutH * S::kOutW;
            for (int oy = 0; oy < S::kOutH; oy++)
            {
                const int iy = oy * S::kStride - S::kPad + ky * S::kDilation;
                if (iy < 0 || iy >= S::kInH) continue;
                for (int ox = 0; ox < S::kOutW; ox++)
                {
                    const int ix = ox * S::kStride - S::kPad + kx * S::kDilation;
                    if (ix < 0 || ix >= S::kInW) continue;
                    s = fmaf(dyc[oy * S::kOutW + ox], xc[iy * S::kInW + ix], s);
                }
            }
        }
        dw[i] += s;
    }
}

} // namespace mg
