// ModelGen CUDA templates: one fused optimizer pass over the flat parameter buffer, with the CPU
// optimizers' formulas in the same order of operations (ModelGen.Sgd, Adam, AdamW).
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

} // namespace mg
