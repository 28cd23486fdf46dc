// ModelGen CUDA templates: layer, batch and group normalisation (PyTorch semantics, as the CPU kernels).
#pragma once
#include "common.cuh"

namespace mg {

/// LayerNorm over the last Features values of each row: y = γ·(x − μ)·invStd + β with the biased
/// variance; saves μ and invStd per row for backward. One warp per row, two passes over the row.
template <int Features>
__device__ __forceinline__ void layer_norm_forward(const float* __restrict__ x, const float* __restrict__ gamma, const float* __restrict__ beta,
                                                   float* __restrict__ y, float* __restrict__ save_mean, float* __restrict__ save_inv_std,
                                                   long long rows, float epsilon)
{
    for (long long r = global_warp(); r < rows; r += grid_warps())
    {
        const float* xr = x + r * Features;
        float s = 0.0f;
        for (int j = lane(); j < Features; j += kWarp) s += xr[j];
        const float mean = warp_sum(s) / Features;
        float q = 0.0f;
        for (int j = lane(); j < Features; j += kWarp) { float d = xr[j] - mean; q += d * d; }
        const float inv_std = rsqrtf(warp_sum(q) / Features + epsilon);
        for (int j = lane(); j < Features; j += kWarp) y[r * Features + j] = gamma[j] * (xr[j] - mean) * inv_std + beta[j];
        if (lane() == 0) { save_mean[r] = mean; save_inv_std[r] = inv_std; }
    }
}

/// LayerNorm backward to the input: dx += invStd·(g − mean(g) − x̂·mean(g·x̂)) with g = γ·dy. One warp per row.
template <int Features>
__device__ __forceinline__ void layer_norm_backward_data(const float* __restrict__ x, const float* __restrict__ gamma, const float* __restrict__ save_mean,
                                                         const float* __restrict__ save_inv_std, const float* __restrict__ dy, float* __restrict__ dx, long long rows)
{
    for (long long r = global_warp(); r < rows; r += grid_warps())
    {
        const float mean = save_mean[r], inv_std = save_inv_std[r];
        const float* xr = x + r * Features;
        const float* dr = dy + r * Features;
        float sg = 0.0f, sgx = 0.0f;
        for (int j = lane(); j < Features; j += kWarp)
        {
            float g = gamma[j] * dr[j];
            sg += g;
            sgx += g * (xr[j] - mean) * inv_std;
        }
        sg = warp_sum(sg) / Features;
        sgx = warp_sum(sgx) / Features;
        for (int j = lane(); j < Features; j += kWarp)
        {
            float xhat = (xr[j] - mean) * inv_std;
            dx[r * Features + j] += inv_std * (gamma[j] * dr[j] - sg - xhat * sgx);
        }
    }
}

/// LayerNorm parameter gradients: dγ += Σ_rows dy·x̂, dβ += Σ_rows dy (one thread per feature, rows in order).
template <int Features>
__device__ __forceinline__ void layer_norm_backward_parameters(const float* __restrict__ x, const float* __restrict__ save_mean, const float* __restrict__ save_inv_std,
                                                               const float* __restrict__ dy, float* __restrict__ dgamma, float* __restrict__ dbeta, long long rows)
{
    for (long long j = global_thread(); j < Features; j += grid_threads())
    {
        float sg = 0.0f, sb = 0.0f;
        for (long long r = 0; r < rows; r++)
        {
            float d = dy[r * Features + j];
            sg += d * (x[r * Features + j] - save_mean[r]) * save_inv_std[r];
            sb += d;
        }
        dgamma[j] += sg;
        dbeta[j] += sb;
    }
}

/// BatchNorm training forward over [batch, Channels, Spatial]: one block per channel computes the
/// batch mean and biased variance, normalises the channel, saves μ and invStd, and moves the running
/// statistics by momentum (running variance unbiased, × M/(M − 1), M = batch·Spatial).
template <int Channels, int Spatial>
__device__ __forceinline__ void batch_norm_forward_train(const float* __restrict__ x, const float* __restrict__ gamma, const float* __restrict__ beta,
                                                         float* __restrict__ running_mean, float* __restrict__ running_var, float* __restrict__ y,
                                                         float* __restrict__ save_mean, float* __restrict__ save_inv_std, int batch, float momentum, float epsilon)
{
    __shared__ float scratch[kWarp];
    const long long count = (long long)batch * Spatial;
    for (int c = blockIdx.x; c < Channels; c += gridDim.x)
    {
        float s = 0.0f;
        for (long long i = threadIdx.x; i < count; i += kThreads) s += x[((i / Spatial) * Channels + c) * Spatial + i % Spatial];
        const float mean = block_sum(s, scratch) / (float)count;
        float q = 0.0f;
        for (long long i = threadIdx.x; i < count; i += kThreads)
        {
            float d = x[((i / Spatial) * Channels + c) * Spatial + i % Spatial] - mean;
            q += d * d;
        }
        const float variance = block_sum(q, scratch) / (float)count;
        const float inv_std = rsqrtf(variance + epsilon);
        for (long long i = threadIdx.x; i < count; i += kThreads)
        {
            long long at = ((i / Spatial) * Channels + c) * Spatial + i % Spatial;
            y[at] = gamma[c] * (x[at] - mean) * inv_std + beta[c];
        }
        if (threadIdx.x == 0)
        {
            save_mean[c] = mean;
            save_inv_std[c] = inv_std;
            float unbiased = count > 1 ? variance * (float)count / (float)(count - 1) : variance;
            running_mean[c] = (1.0f - momentum) * running_mean[c] + momentum * mean;
            running_var[c] = (1.0f - momentum) * running_var[c] + momentum * unbiased;
        }
    }
}

/// BatchNorm evaluation forward with the running statistics (element-wise).
template <int Channels, int Spatial>
__device__ __forceinline__ void batch_norm_forward_eval(const float* __restrict__ x, const float* __restrict__ gamma, const float* __restrict__ beta,
                                                        const float* __restrict__ running_mean, const float* __restrict__ running_var, float* __restrict__ y,
                                                        int batch, float epsilon)
{
    const long long count = (long long)batch * Channels * Spatial;
    for (long long i = global_thread(); i < count; i += grid_threads())
    {
        int c = (int)((i / Spatial) % Channels);
        y[i] = gamma[c] * (x[i] - running_mean[c]) * rsqrtf(running_var[c] + epsilon) + beta[c];
    }
}

/// BatchNorm training backward through the batch statistics, one block per channel:
/// dx += γ·invStd·(dy − mean(dy) − x̂·mean(dy·x̂)), dγ += Σ dy·x̂, dβ += Σ dy. dx may be null.
template <int Channels, int Spatial>
__device__ __forceinline__ void batch_norm_backward(const float* __restrict__ x, const float* __restrict__ gamma, const float* __restrict__ save_mean,
                                                    const float* __restrict__ save_inv_std, const float* __restrict__ dy, float* __restrict__ dx,
                                                    float* __restrict__ dgamma, float* __restrict__ dbeta, int batch)
{
    __shared__ float scratch[kWarp];
    const long long count = (long long)batch * Spatial;
    for (int c = blockIdx.x; c < Channels; c += gridDim.x)
    {
        const float mean = save_mean[c], inv_std = save_inv_std[c];
        float s = 0.0f, sx = 0.0f;
        for (long long i = threadIdx.x; i < count; i += kThreads)
        {
            long long at = ((i / Spatial) * Channels + c) * Spatial + i % Spatial;
            s += dy[at];
            sx += dy[at] * (x[at] - mean) * inv_std;
        }
        const float sum_dy = block_sum(s, scratch);
        const float sum_dy_xhat = block_sum(sx, scratch);
        if (dx != nullptr)
        {
            const float mean_dy = sum_dy / (float)count, mean_dy_xhat = sum_dy_xhat / (float)count;
            for (long long i = threadIdx.x; i < count; i += kThreads)
            {
                long long at = ((i / Spatial) * Channels + c) * Spatial + i % Spatial;
                dx[at] += gamma[c] * inv_std * (dy[at] - mean_dy - (x[at] - mean) * inv_std * mean_dy_xhat);
            }
        }
        if (threadIdx.x == 0)
        {
            dgamma[c] += sum_dy_xhat;
            dbeta[c] += sum_dy;
        }
    }
}

/// GroupNorm over [batch, Channels, Spatial]: each sample's channels split into Groups consecutive
/// groups, each normalised over its (Channels/Groups)·Spatial values (contiguous in memory) with the
/// biased variance; γ and β per channel. Saves μ and invStd per (sample, group) for backward. One warp
/// per (sample, group), two passes, as LayerNorm.
template <int Channels, int Spatial, int Groups>
__device__ __forceinline__ void group_norm_forward(const float* __restrict__ x, const float* __restrict__ gamma, const float* __restrict__ beta,
                                                   float* __restrict__ y, float* __restrict__ save_mean, float* __restrict__ save_inv_std,
                                                   int batch, float epsilon)
{
    static_assert(Channels % Groups == 0, "groups must divide the channels");
    constexpr int kSize = Channels / Groups * Spatial;
    const long long rows = (long long)batch * Groups;
    for (long long r = global_warp(); r < rows; r += grid_warps())
    {
        const float* xr = x + r * kSize;
        const int first = (int)(r % Groups) * (Channels / Groups);
        float s = 0.0f;
        for (int j = lane(); j < kSize; j += kWarp) s += xr[j];
        const float mean = warp_sum(s) / kSize;
        float q = 0.0f;
        for (int j = lane(); j < kSize; j += kWarp) { float d = xr[j] - mean; q += d * d; }
        const float inv_std = rsqrtf(warp_sum(q) / kSize + epsilon);
        for (int j = lane(); j < kSize; j += kWarp)
        {
            const int c = first + j / Spatial;
            y[r * kSize + j] = gamma[c] * (xr[j] - mean) * inv_std + beta[c];
        }
        if (lane() == 0) { save_mean[r] = mean; save_inv_std[r] = inv_std; }
    }
}

/// GroupNorm backward to the input: dx += invStd·(g − mean(g) − x̂·mean(g·x̂)) with g = γ[channel]·dy,
/// means over the group. One warp per (sample, group).
template <int Channels, int Spatial, int Groups>
__device__ __forceinline__ void group_norm_backward_data(const float* __restrict__ x, const float* __restrict__ gamma, const float* __restrict__ save_mean,
                                                         const float* __restrict__ save_inv_std, const float* __restrict__ dy, float* __restrict__ dx, int batch)
{
    constexpr int kSize = Channels / Groups * Spatial;
    const long long rows = (long long)batch * Groups;
    for (long long r = global_warp(); r < rows; r += grid_warps())
    {
        const float mean = save_mean[r], inv_std = save_inv_std[r];
        const float* xr = x + r * kSize;
        const float* dr = dy + r * kSize;
        const int first = (int)(r % Groups) * (Channels / Groups);
        float sg = 0.0f, sgx = 0.0f;
        for (int j = lane(); j < kSize; j += kWarp)
        {
            float g = gamma[first + j / Spatial] * dr[j];
            sg += g;
            sgx += g * (xr[j] - mean) * inv_std;
        }
        sg = warp_sum(sg) / kSize;
        sgx = warp_sum(sgx) / kSize;
        for (int j = lane(); j < kSize; j += kWarp)
        {
            float xhat = (xr[j] - mean) * inv_std;
            dx[r * kSize + j] += inv_std * (gamma[first + j / Spatial] * dr[j] - sg - xhat * sgx);
        }
    }
}

/// GroupNorm parameter gradients: dγ[c] += Σ dy·x̂, dβ[c] += Σ dy over samples and positions (one
/// thread per channel, samples in order).
template <int Channels, int Spatial, int Groups>
__device__ __forceinline__ void group_norm_backward_parameters(const float* __restrict__ x, const float* __restrict__ save_mean, const float* __restrict__ save_inv_std,
                                                               const float* __restrict__ dy, float* __restrict__ dgamma, float* __restrict__ dbeta, int batch)
{
    constexpr int kPerGroup = Channels / Groups;
    for (long long c = global_thread(); c < Channels; c += grid_threads())
    {
        float sg = 0.0f, sb = 0.0f;
        for (long long n = 0; n < batch; n++)
        {
            const long long statistics = n * Groups + c / kPerGroup;
            const float mean = save_mean[statistics], inv_std = save_inv_std[statistics];
            const long long at = (n * Channels + c) * Spatial;
            for (int k = 0; k < Spatial; k++)
            {
                float d = dy[at + k];
                sg += d * (x[at + k] - mean) * inv_std;
                sb += d;
            }
        }
        dgamma[c] += sg;
        dbeta[c] += sb;
    }
}

} // namespace mg
