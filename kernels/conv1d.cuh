// ModelGen CUDA templates: 1-D convolution over [N, C, L] (stride, padding that may differ per side as
// 'same' needs for an even dilated span, dilation, groups), weights [Out, In/Groups, K] as on the CPU.
// The 2-D templates take a square kernel and one padding for both sides, so 1-D has its own: direct
// loops, one thread per output value (forward), per input value (data gradient, gathering, so no
// atomics) and per weight (weight gradient, batch·positions in order): simple, deterministic, not tuned.
#pragma once
#include "common.cuh"

namespace mg {

/// Compile-time geometry of one 1-D convolution call site; PadRight only lengthens the output.
template <int InC, int InL, int OutC, int K, int Stride, int PadLeft, int PadRight, int Dilation, int Groups>
struct Conv1dShape
{
    static constexpr int kInC = InC, kInL = InL, kOutC = OutC, kK = K;
    static constexpr int kStride = Stride, kPadLeft = PadLeft, kDilation = Dilation, kGroups = Groups;
    static constexpr int kOutL = (InL + PadLeft + PadRight - Dilation * (K - 1) - 1) / Stride + 1;
    static constexpr int kInPerGroup = InC / Groups, kOutPerGroup = OutC / Groups;
    static_assert(InC % Groups == 0 && OutC % Groups == 0, "channels must divide into groups");
    static_assert(InL + PadLeft + PadRight - Dilation * (K - 1) - 1 >= 0, "the convolution output must not be empty");
};

/// pre = conv1d(x, w) + bias (bias may be null); y = f(pre); pre is stored only when f is not the identity.
template <class S, Act A>
__device__ __forceinline__ void conv1d_forward(const float* __restrict__ x, const float* __restrict__ w, const float* __restrict__ bias,
                                               float* __restrict__ pre, float* __restrict__ y, int batch, float slope)
{
    const long long count = (long long)batch * S::kOutC * S::kOutL;
    for (long long i = global_thread(); i < count; i += grid_threads())
    {
        const int ot = (int)(i % S::kOutL);
        const int oc = (int)((i / S::kOutL) % S::kOutC);
        const long long n = i / ((long long)S::kOutL * S::kOutC);
        const int g = oc / S::kOutPerGroup;
        float s = bias != nullptr ? bias[oc] : 0.0f;
        for (int ic = 0; ic < S::kInPerGroup; ic++)
        {
            const float* xc = x + ((n * S::kInC) + g * S::kInPerGroup + ic) * S::kInL;
            const float* wc = w + ((long long)oc * S::kInPerGroup + ic) * S::kK;
            for (int k = 0; k < S::kK; k++)
            {
                const int it = ot * S::kStride - S::kPadLeft + k * S::kDilation;
                if (it < 0 || it >= S::kInL) continue;
                s = fmaf(xc[it], wc[k], s);
            }
        }
        if (A != Act::None) pre[i] = s;
        y[i] = activate<A>(s, slope);
    }
}

/// dx += Σ over the outputs that read x: dy · w (gathered per input value).
template <class S>
__device__ __forceinline__ void conv1d_backward_data(const float* __restrict__ w, const float* __restrict__ dy, float* __restrict__ dx, int batch)
{
    const long long count = (long long)batch * S::kInC * S::kInL;
    for (long long i = global_thread(); i < count; i += grid_threads())
    {
        const int it = (int)(i % S::kInL);
        const int ic = (int)((i / S::kInL) % S::kInC);
        const long long n = i / ((long long)S::kInL * S::kInC);
        const int g = ic / S::kInPerGroup, icg = ic % S::kInPerGroup;
        float s = 0.0f;
        for (int ocg = 0; ocg < S::kOutPerGroup; ocg++)
        {
            const int oc = g * S::kOutPerGroup + ocg;
            const float* dyc = dy + (n * S::kOutC + oc) * S::kOutL;
            const float* wc = w + ((long long)oc * S::kInPerGroup + icg) * S::kK;
            for (int k = 0; k < S::kK; k++)
            {
                const int t = it + S::kPadLeft - k * S::kDilation;
                if (t < 0 || t % S::kStride != 0) continue;
                const int ot = t / S::kStride;
                if (ot >= S::kOutL) continue;
                s = fmaf(dyc[ot], wc[k], s);
            }
        }
        dx[i] += s;
    }
}

/// dw += Σ_{n, t} dy · x, one thread per weight; db += Σ dy per output channel (db may be null).
template <class S>
__device__ __forceinline__ void conv1d_backward_parameters(const float* __restrict__ x, const float* __restrict__ dy, float* __restrict__ dw,
                                                           float* __restrict__ db, int batch)
{
    constexpr long long weights = (long long)S::kOutC * S::kInPerGroup * S::kK;
    const long long total = weights + (db != nullptr ? S::kOutC : 0);
    for (long long i = global_thread(); i < total; i += grid_threads())
    {
        if (i >= weights)
        {
            const int oc = (int)(i - weights);
            db[oc] += channel_sum(dy, oc, S::kOutC, S::kOutL, batch);
            continue;
        }
        const int k = (int)(i % S::kK);
        const int icg = (int)((i / S::kK) % S::kInPerGroup);
        const int oc = (int)(i / ((long long)S::kK * S::kInPerGroup));
        const int ic = (oc / S::kOutPerGroup) * S::kInPerGroup + icg;
        float s = 0.0f;
        for (long long n = 0; n < batch; n++)
        {
            const float* xc = x + (n * S::kInC + ic) * S::kInL;
            const float* dyc = dy + (n * S::kOutC + oc) * S::kOutL;
            for (int ot = 0; ot < S::kOutL; ot++)
            {
                const int it = ot * S::kStride - S::kPadLeft + k * S::kDilation;
                if (it < 0 || it >= S::kInL) continue;
                s = fmaf(dyc[ot], xc[it], s);
            }
        }
        dw[i] += s;
    }
}

} // namespace mg
