// ModelGen CUDA templates: transposed 2-D convolution over NCHW (square kernel, symmetric padding,
// stride, output padding, dilation, groups), weights [In, Out/Groups, K, K] as PyTorch and the CPU.
// Input pixel (iy, ix) with tap (ky, kx) lands on output pixel (iy·s − p + ky·d, ix·s − p + kx·d).
// Direct loops, one thread per output value (forward, gathering the inputs that land on it), per
// input value (data gradient) and per weight (weight gradient, batch·positions in order): no atomics,
// so every result is independent of the grid.
#pragma once
#include "common.cuh"

namespace mg {

/// Compile-time geometry of one transposed convolution call site.
template <int InC, int InH, int InW, int OutC, int K, int Stride, int Pad, int OutPad, int Dilation, int Groups>
struct ConvTransposeShape
{
    static constexpr int kInC = InC, kInH = InH, kInW = InW, kOutC = OutC, kK = K;
    static constexpr int kStride = Stride, kPad = Pad, kDilation = Dilation, kGroups = Groups;
    static constexpr int kOutH = (InH - 1) * Stride - 2 * Pad + Dilation * (K - 1) + OutPad + 1;
    static constexpr int kOutW = (InW - 1) * Stride - 2 * Pad + Dilation * (K - 1) + OutPad + 1;
    static constexpr int kInPerGroup = InC / Groups, kOutPerGroup = OutC / Groups;
    static_assert(InC % Groups == 0 && OutC % Groups == 0, "channels must divide into groups");
    static_assert(OutPad < Stride || OutPad < Dilation, "the output padding must be smaller than the stride or the dilation");
    static_assert(kOutH >= 1 && kOutW >= 1, "the transposed convolution output must not be empty");
};

/// The input index whose tap lands on output index o (o = i·s − p + tap·d), or −1 when none does.
template <class S>
__device__ __forceinline__ int transposed_source(int o, int tap, int inSize)
{
    const int t = o + S::kPad - tap * S::kDilation;
    if (t < 0 || t % S::kStride != 0) return -1;
    const int i = t / S::kStride;
    return i < inSize ? i : -1;
}

/// pre = convᵀ(x, w) + bias (bias may be null); y = f(pre); pre is stored only when f is not the identity.
template <class S, Act A>
__device__ __forceinline__ void conv_transpose2d_forward(const float* __restrict__ x, const float* __restrict__ w, const float* __restrict__ bias,
                                                         float* __restrict__ pre, float* __restrict__ y, int batch, float slope)
{
    const long long count = (long long)batch * S::kOutC * S::kOutH * S::kOutW;
    for (long long i = global_thread(); i < count; i += grid_threads())
    {
        const int ox = (int)(i % S::kOutW), oy = (int)((i / S::kOutW) % S::kOutH);
        const int oc = (int)((i / ((long long)S::kOutW * S::kOutH)) % S::kOutC);
        const long long n = i / ((long long)S::kOutW * S::kOutH * S::kOutC);
        const int g = oc / S::kOutPerGroup, ocg = oc % S::kOutPerGroup;
        float s = bias != nullptr ? bias[oc] : 0.0f;
        for (int icg = 0; icg < S::kInPerGroup; icg++)
        {
            const int ic = g * S::kInPerGroup + icg;
            const float* xc = x + (n * S::kInC + ic) * S::kInH * S::kInW;
            const float* wc = w + ((long long)ic * S::kOutPerGroup + ocg) * S::kK * S::kK;
            for (int ky = 0; ky < S::kK; ky++)
            {
                const int iy = transposed_source<S>(oy, ky, S::kInH);
                if (iy < 0) continue;
                for (int kx = 0; kx < S::kK; kx++)
                {
                    const int ix = transposed_source<S>(ox, kx, S::kInW);
                    if (ix < 0) continue;
                    s = fmaf(xc[iy * S::kInW + ix], wc[ky * S::kK + kx], s);
                }
            }
        }
        if (A != Act::None) pre[i] = s;
        y[i] = activate<A>(s, slope);
    }
}

/// dx += Σ over the taps of each input value that land inside the output: dy · w (a direct convolution of dy).
template <class S>
__device__ __forceinline__ void conv_transpose2d_backward_data(const float* __restrict__ w, const float* __restrict__ dy, float* __restrict__ dx, int batch)
{
    const long long count = (long long)batch * S::kInC * S::kInH * S::kInW;
    for (long long i = global_thread(); i < count; i += grid_threads())
    {
        const int ix = (int)(i % S::kInW), iy = (int)((i / S::kInW) % S::kInH);
        const int ic = (int)((i / ((long long)S::kInW * S::kInH)) % S::kInC);
        const long long n = i / ((long long)S::kInW * S::kInH * S::kInC);
        const int g = ic / S::kInPerGroup;
        float s = 0.0f;
        for (int ocg = 0; ocg < S::kOutPerGroup; ocg++)
        {
            const float* dyc = dy + (n * S::kOutC + g * S::kOutPerGroup + ocg) * S::kOutH * S::kOutW;
            const float* wc = w + ((long long)ic * S::kOutPerGroup + ocg) * S::kK * S::kK;
            for (int ky = 0; ky < S::kK; ky++)
            {
                const int oy = iy * S::kStride - S::kPad + ky * S::kDilation;
                if (oy < 0 || oy >= S::kOutH) continue;
                for (int kx = 0; kx < S::kK; kx++)
                {
                    const int ox = ix * S::kStride - S::kPad + kx * S::kDilation;
                    if (ox < 0 || ox >= S::kOutW) continue;
                    s = fmaf(dyc[oy * S::kOutW + ox], wc[ky * S::kK + kx], s);
                }
            }
        }
        dx[i] += s;
    }
}

/// dw += Σ_{n, iy, ix} x · dy at the tap's output pixel, one thread per weight; db += Σ dy per output channel (db may be null).
template <class S>
__device__ __forceinline__ void conv_transpose2d_backward_parameters(const float* __restrict__ x, const float* __restrict__ dy, float* __restrict__ dw,
                                                                     float* __restrict__ db, int batch)
{
    constexpr long long weights = (long long)S::kInC * S::kOutPerGroup * S::kK * S::kK;
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
        const int ocg = (int)((i / (S::kK * S::kK)) % S::kOutPerGroup);
        const int ic = (int)(i / ((long long)S::kK * S::kK * S::kOutPerGroup));
        const int oc = (ic / S::kInPerGroup) * S::kOutPerGroup + ocg;
        float s = 0.0f;
        for (long long n = 0; n < batch; n++)
        {
            const float* xc = x + (n * S::kInC + ic) * S::kInH * S::kInW;
            const float* dyc = dy + (n * S::kOutC + oc) * S::kOutH * S::kOutW;
            for (int iy = 0; iy < S::kInH; iy++)
            {
                const int oy = iy * S::kStride - S::kPad + ky * S::kDilation;
                if (oy < 0 || oy >= S::kOutH) continue;
                for (int ix = 0; ix < S::kInW; ix++)
                {
                    const int ox = ix * S::kStride - S::kPad + kx * S::kDilation;
                    if (ox < 0 || ox >= S::kOutW) continue;
                    s = fmaf(xc[iy * S::kInW + ix], dyc[oy * S::kOutW + ox], s);
                }
            }
        }
        dw[i] += s;
    }
}

} // namespace mg
