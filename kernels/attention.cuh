// ModelGen CUDA templates: the core of multi-head self-attention, between the fused QKV projection
// and the output projection (both GEMMs, gemm.cuh), with the CPU path's layout:
//   qkv [batch, Sequence, 3·Dimension]: Q in columns 0…D−1, K in D…2D−1, V in 2D…3D−1, head h using
//   columns h·D/Heads … (h+1)·D/Heads − 1 of each; out [batch, Sequence, Dimension], heads concatenated.
//   O_h = softmax(Q_h·K_hᵀ/√(D/Heads) + mask)·V_h; the causal mask lets position i see 0…i.
// Variable-length sequences pass `lengths` [batch] (null: every sample has all Sequence positions): keys
// at positions ≥ lengths[n] are masked too, padded queries attend to the valid keys like any other, and a
// sample of length 0 has no key, so its rows of probabilities and outputs are 0.
// Probabilities [batch, Heads, Sequence, Sequence] are saved for backward (masked entries exactly 0, so
// backward needs the lengths only to skip them: the keys' pass gets 0 from them anyway).
// One warp per (sample, head, query row): simple and deterministic, not a flash-attention kernel.
#pragma once
#include "common.cuh"

namespace mg {

template <int Sequence, int Dimension, int Heads, bool Causal>
struct AttentionShape
{
    static constexpr int kSequence = Sequence, kDimension = Dimension, kHeads = Heads, kHeadSize = Dimension / Heads;
    static constexpr bool kCausal = Causal;
    static_assert(Dimension % Heads == 0, "the width must divide into heads");
};

/// The last key query row i of sample n sees: i under the causal mask, else the last position, and never
/// past the sample's length (−1 when it has none).
template <class S>
__device__ __forceinline__ int last_key(int i, const int* __restrict__ lengths, long long n)
{
    const int last = S::kCausal ? i : S::kSequence - 1;
    if (lengths == nullptr) return last;
    return lengths[n] <= last ? lengths[n] - 1 : last;
}

template <class S>
__device__ __forceinline__ void attention_forward(const float* __restrict__ qkv, float* __restrict__ probabilities, float* __restrict__ out, int batch,
                                                  const int* __restrict__ lengths = nullptr)
{
    constexpr int T = S::kSequence, D = S::kDimension, H = S::kHeads, E = S::kHeadSize;
    const float scale = rsqrtf((float)E);
    for (long long w = global_warp(); w < (long long)batch * H * T; w += grid_warps())
    {
        const int i = (int)(w % T), h = (int)((w / T) % H);
        const long long n = w / ((long long)T * H);
        const float* q = qkv + (n * T + i) * 3 * D + h * E;
        float* p = probabilities + w * T;
        const int last = last_key<S>(i, lengths, n);
        float mx = negative_infinity();
        for (int j = lane(); j <= last; j += kWarp)
        {
            const float* k = qkv + (n * T + j) * 3 * D + D + h * E;
            float s = 0.0f;
            for (int e = 0; e < E; e++) s = fmaf(q[e], k[e], s);
            p[j] = s * scale;
            mx = fmaxf(mx, s * scale);
        }
        mx = warp_max(mx);
        float sum = 0.0f;
        for (int j = lane(); j <= last; j += kWarp) { float v = expf(p[j] - mx); p[j] = v; sum += v; }
        sum = warp_sum(sum);
        for (int j = lane(); j < T; j += kWarp) p[j] = j <= last ? p[j] / sum : 0.0f;
        __syncwarp();
        for (int e = lane(); e < E; e += kWarp)
        {
            float o = 0.0f;
            for (int j = 0; j <= last; j++) o = fmaf(p[j], qkv[(n * T + j) * 3 * D + 2 * D + h * E + e], o);
            out[(n * T + i) * D + h * E + e] = o;
        }
    }
}

/// First half of backward, one warp per query row: dS = P ⊙ (dP − rowsum(P ⊙ dP)) with dP = dO·Vᵀ,
/// kept in `dscores` (same layout as the probabilities), and dQ = dS·K/√E written into dqkv's Q columns.
template <class S>
__device__ __forceinline__ void attention_backward_queries(const float* __restrict__ qkv, const float* __restrict__ probabilities, const float* __restrict__ dout,
                                                           float* __restrict__ dscores, float* __restrict__ dqkv, int batch,
                                                           const int* __restrict__ lengths = nullptr)
{
    constexpr int T = S::kSequence, D = S::kDimension, H = S::kHeads, E = S::kHeadSize;
    const float scale = rsqrtf((float)E);
    for (long long w = global_warp(); w < (long long)batch * H * T; w += grid_warps())
    {
        const int i = (int)(w % T), h = (int)((w / T) % H);
        const long long n = w / ((long long)T * H);
        const float* p = probabilities + w * T;
        const float* go = dout + (n * T + i) * D + h * E;
        float* ds = dscores + w * T;
        const int last = last_key<S>(i, lengths, n);
        float dot = 0.0f;
        for (int j = lane(); j <= last; j += kWarp)
        {
            const float* v = qkv + (n * T + j) * 3 * D + 2 * D + h * E;
            float dp = 0.0f;
            for (int e = 0; e < E; e++) dp = fmaf(go[e], v[e], dp);
            ds[j] = dp;
            dot += p[j] * dp;
        }
        dot = warp_sum(dot);
        for (int j = lane(); j < T; j += kWarp) ds[j] = j <= last ? p[j] * (ds[j] - dot) : 0.0f;
        __syncwarp();
        for (int e = lane(); e < E; e += kWarp)
        {
            float g = 0.0f;
            for (int j = 0; j <= last; j++) g = fmaf(ds[j], qkv[(n * T + j) * 3 * D + D + h * E + e], g);
            dqkv[(n * T + i) * 3 * D + h * E + e] = g * scale;
        }
    }
}

/// Second half, one warp per key row j: dK_j = Σ_i dS[i, j]·Q_i/√E and dV_j = Σ_i P[i, j]·dO_i.
template <class S>
__device__ __forceinline__ void attention_backward_keys(const float* __restrict__ qkv, const float* __restrict__ probabilities, const float* __restrict__ dout,
                                                        const float* __restrict__ dscores, float* __restrict__ dqkv, int batch)
{
    constexpr int T = S::kSequence, D = S::kDimension, H = S::kHeads, E = S::kHeadSize;
    const float scale = rsqrtf((float)E);
    for (long long w = global_warp(); w < (long long)batch * H * T; w += grid_warps())
    {
        const int j = (int)(w % T), h = (int)((w / T) % H);
        const long long n = w / ((long long)T * H);
        const long long head = w - j;   // (n, h, 0)
        const int first = S::kCausal ? j : 0;
        for (int e = lane(); e < E; e += kWarp)
        {
            float gk = 0.0f, gv = 0.0f;
            for (int i = first; i < T; i++)
            {
                gk = fmaf(dscores[(head + i) * T + j], qkv[(n * T + i) * 3 * D + h * E + e], gk);
                gv = fmaf(probabilities[(head + i) * T + j], dout[(n * T + i) * D + h * E + e], gv);
            }
            dqkv[(n * T + j) * 3 * D + D + h * E + e] = gk * scale;
            dqkv[(n * T + j) * 3 * D + 2 * D + h * E + e] = gv;
        }
    }
}

} // namespace mg
