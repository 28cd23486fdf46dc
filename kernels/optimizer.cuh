// ModelGen CUDA templates: one fused optimizer pass over the flat parameter buffer, with the CPU
// optimizers' formulas in the same order of operations (ModelGen.Sgd, Adam, AdamW, RmsProp, Adagrad),
// and the gradient transformations that come before it (L1/L2 penalty, clipping by the global norm).
// Sums over the whole buffer are left as one partial per block of a fixed grid (kReductionBlocks):
// the host adds them in block order, so the result does not depend on scheduling.
#pragma once
#include "common.cuh"

namespace mg {

/// Adam / AdamW: g += coupled·p; m = β₁m + (1−β₁)g; v = β₂v + (1−β₂)g²; p = p·decay − lr·(m·c₁)/(√(v·c₂) + ε),
/// with c₁, c₂ the bias corrections of this step, coupled = L2 (Adam) and decay = 1 − lr·λ (AdamW).
__device__ __forceinline__ void adam_update(float* __restrict__ p, const float* __restrict__ g, float* __restrict__ m, float* __restrict__ v, long long count,
                                            float lr, float beta1, float beta2, float epsilon, float coupled, float decay, float c1, float c2)
{
    for (long long i = global_thread(); i < count; i += grid_threads())
    {
        const float pi = p[i];
        const float gi = g[i] + coupled * pi;
        const float mi = beta1 * m[i] + (1.0f - beta1) * gi;
        const float vi = beta2 * v[i] + (1.0f - beta2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] = pi * decay - lr * (mi * c1) / (sqrtf(vi * c2) + epsilon);
    }
}

/// SGD with optional momentum (velocity may be null when momentum is 0), Nesterov and L2 weight decay.
__device__ __forceinline__ void sgd_update(float* __restrict__ p, const float* __restrict__ g, float* __restrict__ velocity, long long count,
                                           float lr, float momentum, int nesterov, float weight_decay)
{
    for (long long i = global_thread(); i < count; i += grid_threads())
    {
        const float gi = g[i] + weight_decay * p[i];
        if (momentum == 0.0f || velocity == nullptr)
        {
            p[i] -= lr * gi;
            continue;
        }
        const float vi = momentum * velocity[i] + gi;
        velocity[i] = vi;
        p[i] -= lr * (nesterov ? gi + momentum * vi : vi);
    }
}

/// RMSProp: v = αv + (1−α)g²; centered: ḡ = αḡ + (1−α)g and denominator √(v − ḡ²) + ε (else √v + ε);
/// with momentum b = μb + g/denominator, p −= lr·b, else p −= lr·g/denominator; L2 added to g first.
/// mean is null unless centered, buffer null without momentum (the GPU has two state buffers: not both).
__device__ __forceinline__ void rmsprop_update(float* __restrict__ p, const float* __restrict__ g, float* __restrict__ square, float* __restrict__ mean,
                                               float* __restrict__ buffer, long long count, float lr, float alpha, float epsilon, float weight_decay, float momentum)
{
    for (long long i = global_thread(); i < count; i += grid_threads())
    {
        const float pi = p[i];
        const float gi = g[i] + weight_decay * pi;
        const float vi = alpha * square[i] + (1.0f - alpha) * gi * gi;
        square[i] = vi;
        float denominator;
        if (mean != nullptr)
        {
            const float mi = alpha * mean[i] + (1.0f - alpha) * gi;
            mean[i] = mi;
            denominator = sqrtf(vi - mi * mi) + epsilon;
        }
        else denominator = sqrtf(vi) + epsilon;
        if (buffer != nullptr)
        {
            const float bi = momentum * buffer[i] + gi / denominator;
            buffer[i] = bi;
            p[i] = pi - lr * bi;
        }
        else p[i] = pi - lr * (gi / denominator);
    }
}

/// Adagrad: s += g², p −= lr_t·g/(√s + ε), with lr_t this step's decayed rate; L2 added to g first.
__device__ __forceinline__ void adagrad_update(float* __restrict__ p, const float* __restrict__ g, float* __restrict__ sum, long long count,
                                               float lr, float epsilon, float weight_decay)
{
    for (long long i = global_thread(); i < count; i += grid_threads())
    {
        const float pi = p[i];
        const float gi = g[i] + weight_decay * pi;
        const float si = sum[i] + gi * gi;
        sum[i] = si;
        p[i] = pi - lr * gi / (sqrtf(si) + epsilon);
    }
}

/// Blocks of the grid whose per-block partial sums the host adds up.
constexpr int kReductionBlocks = 256;

/// x[i] = value for every element (Adagrad's starting sums).
__device__ __forceinline__ void fill(float* __restrict__ x, long long count, float value)
{
    for (long long i = global_thread(); i < count; i += grid_threads()) x[i] = value;
}

/// g += l1·sign(p) + l2·p (sign(0) = 0); partials[block] = this block's share of l1·Σ|p| + ½·l2·Σp².
__device__ __forceinline__ void add_penalty(const float* __restrict__ p, float* __restrict__ g, long long count, float l1, float l2, float* __restrict__ partials)
{
    __shared__ float scratch[kWarp];
    float penalty = 0.0f;
    for (long long i = global_thread(); i < count; i += grid_threads())
    {
        const float pi = p[i];
        const float sign = pi > 0.0f ? 1.0f : (pi < 0.0f ? -1.0f : 0.0f);
        g[i] += l1 * sign + l2 * pi;
        penalty += l1 * fabsf(pi) + 0.5f * l2 * pi * pi;
    }
    penalty = block_sum(penalty, scratch);
    if (threadIdx.x == 0) partials[blockIdx.x] = penalty;
}

/// partials[block] = this block's share of Σg² (the squared global norm, for clipping).
__device__ __forceinline__ void squared_norm(const float* __restrict__ g, long long count, float* __restrict__ partials)
{
    __shared__ float scratch[kWarp];
    float sum = 0.0f;
    for (long long i = global_thread(); i < count; i += grid_threads()) sum += g[i] * g[i];
    sum = block_sum(sum, scratch);
    if (threadIdx.x == 0) partials[blockIdx.x] = sum;
}

/// x *= factor (clipping once the norm is known).
__device__ __forceinline__ void scale(float* __restrict__ x, long long count, float factor)
{
    for (long long i = global_thread(); i < count; i += grid_threads()) x[i] *= factor;
}

} // namespace mg
