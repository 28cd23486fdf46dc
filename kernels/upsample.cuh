// ModelGen CUDA templates: upsampling of NCHW planes by whole factors, nearest and bilinear (with or
// without aligned corners), PyTorch's coordinate rules as the CPU kernels. One thread per output
// value forward; backward gathers per input value (no atomics), visiting the outputs in the CPU's
// order. Bilinear source coordinates are computed in double, exactly as on the CPU.
#pragma once
#include "common.cuh"

namespace mg {

/// Compile-time geometry of one upsampling call site: C channels of InH × InW, scaled by ScaleH × ScaleW.
template <int C, int InH, int InW, int ScaleH, int ScaleW, bool AlignCorners>
struct UpsampleShape
{
    static constexpr int kC = C, kInH = InH, kInW = InW, kScaleH = ScaleH, kScaleW = ScaleW;
    static constexpr int kOutH = InH * ScaleH, kOutW = InW * ScaleW;
    static constexpr bool kAlignCorners = AlignCorners;
    static_assert(ScaleH >= 1 && ScaleW >= 1, "upsampling factors are whole and positive");
};

/// y[i, j] = x[⌊i / ScaleH⌋, ⌊j / ScaleW⌋].
template <class S>
__device__ __forceinline__ void upsample_nearest_forward(const float* __restrict__ x, float* __restrict__ y, int batch)
{
    const long long count = (long long)batch * S::kC * S::kOutH * S::kOutW;
    for (long long i = global_thread(); i < count; i += grid_threads())
    {
        const int ox = (int)(i % S::kOutW), oy = (int)((i / S::kOutW) % S::kOutH);
        const long long plane = i / ((long long)S::kOutW * S::kOutH);
        y[i] = x[plane * S::kInH * S::kInW + (oy / S::kScaleH) * S::kInW + ox / S::kScaleW];
    }
}

/// dx += the sum of dy over each input value's ScaleH × ScaleW block, row by row.
template <class S>
__device__ __forceinline__ void upsample_nearest_backward(const float* __restrict__ dy, float* __restrict__ dx, int batch)
{
    const long long count = (long long)batch * S::kC * S::kInH * S::kInW;
    for (long long i = global_thread(); i < count; i += grid_threads())
    {
        const int ix = (int)(i % S::kInW), iy = (int)((i / S::kInW) % S::kInH);
        const long long plane = i / ((long long)S::kInW * S::kInH);
        const float* block = dy + plane * S::kOutH * S::kOutW + (long long)iy * S::kScaleH * S::kOutW + ix * S::kScaleW;
        float s = 0.0f;
        for (int a = 0; a < S::kScaleH; a++)
            for (int b = 0; b < S::kScaleW; b++) s += block[a * S::kOutW + b];
        dx[i] += s;
    }
}

/// The two input indices around output index o along one axis and the weight of the second: with aligned corners the
/// source is o·(In − 1)/(Out − 1), otherwise max(0, (o + ½)/scale − ½), the last index repeating at the edge.
template <int In, int Out, int Scale, bool AlignCorners>
__device__ __forceinline__ void bilinear_source(int o, int& first, int& second, float& weight)
{
    const double centre = (o + 0.5) / Scale - 0.5;
    const double position = AlignCorners ? (Out > 1 ? o * (double)(In - 1) / (Out - 1) : 0.0) : (centre > 0.0 ? centre : 0.0);
    first = (int)position < In - 1 ? (int)position : In - 1;
    second = first + 1 < In - 1 ? first + 1 : In - 1;
    weight = (float)(position - first);
}

/// The output indices [begin, end) that may read input index i along one axis (a superset: callers check each).
template <int In, int Out, int Scale, bool AlignCorners>
__device__ __forceinline__ void bilinear_readers(int i, int& begin, int& end)
{
    constexpr int span = In > 1 ? In - 1 : 1;
    if (AlignCorners && In > 1)
    {
        // o·(In − 1)/(Out − 1) lies in [i − 1, i + 1) for every reader.
        begin = (i - 1) * (Out - 1) / span - 1;
        end = (i + 1) * (Out - 1) / span + 2;
    }
    else if (AlignCorners)
    {
        begin = 0;
        end = Out;
    }
    else
    {
        // (o + ½)/Scale − ½ lies in [i − 1, i + 1), or is clamped to 0 or to the last index.
        begin = (i - 1) * Scale;
        end = (i + 2) * Scale;
    }
    if (begin < 0) begin = 0;
    if (end > Out) end = Out;
}

/// y[i, j] interpolates the four input values around its source point.
template <class S>
__device__ __forceinline__ void upsample_bilinear_forward(const float* __restrict__ x, float* __restrict__ y, int batch)
{
    const long long count = (long long)batch * S::kC * S::kOutH * S::kOutW;
    for (long long i = global_thread(); i < count; i += grid_threads())
    {
        const int ox = (int)(i % S::kOutW), oy = (int)((i / S::kOutW) % S::kOutH);
        const long long plane = i / ((long long)S::kOutW * S::kOutH);
        int r0, r1, c0, c1;
        float wr1, wc1;
        bilinear_source<S::kInH, S::kOutH, S::kScaleH, S::kAlignCorners>(oy, r0, r1, wr1);
        bilinear_source<S::kInW, S::kOutW, S::kScaleW, S::kAlignCorners>(ox, c0, c1, wc1);
        const float wr0 = 1.0f - wr1, wc0 = 1.0f - wc1;
        const float* top = x + plane * S::kInH * S::kInW + r0 * S::kInW;
        const float* bottom = x + plane * S::kInH * S::kInW + r1 * S::kInW;
        y[i] = wr0 * (wc0 * top[c0] + wc1 * top[c1]) + wr1 * (wc0 * bottom[c0] + wc1 * bottom[c1]);
    }
}

/// dx += every output gradient that read this input value, times the weight it was read with (gathered per input value).
template <class S>
__device__ __forceinline__ void upsample_bilinear_backward(const float* __restrict__ dy, float* __restrict__ dx, int batch)
{
    const long long count = (long long)batch * S::kC * S::kInH * S::kInW;
    for (long long i = global_thread(); i < count; i += grid_threads())
    {
        const int ix = (int)(i % S::kInW), iy = (int)((i / S::kInW) % S::kInH);
        const long long plane = i / ((long long)S::kInW * S::kInH);
        const float* dyp = dy + plane * S::kOutH * S::kOutW;
        int rowBegin, rowEnd, colBegin, colEnd;
        bilinear_readers<S::kInH, S::kOutH, S::kScaleH, S::kAlignCorners>(iy, rowBegin, rowEnd);
        bilinear_readers<S::kInW, S::kOutW, S::kScaleW, S::kAlignCorners>(ix, colBegin, colEnd);
        float s = 0.0f;
        for (int oy = rowBegin; oy < rowEnd; oy++)
        {
            int r0, r1;
            float wr1;
            bilinear_source<S::kInH, S::kOutH, S::kScaleH, S::kAlignCorners>(oy, r0, r1, wr1);
            if (r0 != iy && r1 != iy) continue;
            const float wr0 = 1.0f - wr1;
            for (int ox = colBegin; ox < colEnd; ox++)
            {
                int c0, c1;
                float wc1;
                bilinear_source<S::kInW, S::kOutW, S::kScaleW, S::kAlignCorners>(ox, c0, c1, wc1);
                if (c0 != ix && c1 != ix) continue;
                const float wc0 = 1.0f - wc1, g = dyp[oy * S::kOutW + ox];
                // The four taps in the CPU's order; at the edges two of them may be this same value.
                if (r0 == iy && c0 == ix) s += wr0 * wc0 * g;
                if (r0 == iy && c1 == ix) s += wr0 * wc1 * g;
                if (r1 == iy && c0 == ix) s += wr1 * wc0 * g;
                if (r1 == iy && c1 == ix) s += wr1 * wc1 * g;
            }
        }
        dx[i] += s;
    }
}

} // namespace mg
