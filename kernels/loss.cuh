// ModelGen CUDA templates: losses fused with their gradient.
//
// Each loss kernel writes one partial loss per sample row into `rows` and, when `grad` is not null,
// d(mean loss)/d(outputs) into `grad`, which may alias the outputs: softmax cross-entropy then
// overwrites the logits with their gradient, reading each row before writing it. mean_loss() then
// sums the rows in order in one block, so the loss does not depend on the grid. A model with several
// heads passes each head's weight: its gradient is d(weight · mean loss)/d(outputs), and mean_loss()
// adds the weighted heads up one after another.
#pragma once
#include "common.cuh"

namespace mg {

namespace detail {

/// One row of softmax cross-entropy, by one warp: *row_loss = log Σ exp(z) − z[label] (NaN for a label that is
/// not a class) and, when g is not null, g = (softmax(z) − one-hot)·scale (g may alias z).
template <int Classes>
__device__ __forceinline__ void softmax_cross_entropy_row(const float* z, float label_value, float* g, float* __restrict__ row_loss, float scale)
{
    float mx = negative_infinity();
    for (int j = lane(); j < Classes; j += kWarp) mx = fmaxf(mx, z[j]);
    mx = warp_max(mx);
    float sum = 0.0f;
    for (int j = lane(); j < Classes; j += kWarp) sum += expf(z[j] - mx);
    sum = warp_sum(sum);
    const float log_sum = logf(sum) + mx;
    const int label = (int)label_value;
    const bool valid = label_value == (float)label && label >= 0 && label < Classes;
    if (lane() == 0) *row_loss = valid ? log_sum - z[label] : __int_as_float(0x7fc00000);
    __syncwarp();   // every lane has read the row's logits before any gradient overwrites them
    if (g == nullptr) return;
    for (int j = lane(); j < Classes; j += kWarp)
    {
        float p = expf(z[j] - log_sum);
        g[j] = (j == label ? p - 1.0f : p) * scale;
    }
}

/// Σ lengths[0…batch), in order: the positions variable-length sequences count.
__device__ __forceinline__ int valid_positions(const int* __restrict__ lengths, int batch)
{
    int count = 0;
    for (int n = 0; n < batch; n++) count += lengths[n];
    return count;
}

} // namespace detail

/// Softmax over each row of logits fused with cross-entropy against the class index in labels[row]
/// (stored as float); gradient (softmax − one-hot)/batch. One warp per row. A label outside
/// 0…classes−1 yields a NaN loss (the CPU path throws instead). `weight` scales the gradient (a head's weight).
template <int Classes>
__device__ __forceinline__ void softmax_cross_entropy(const float* logits, const float* __restrict__ labels, float* grad,
                                                      float* __restrict__ rows, int batch, float weight = 1.0f)
{
    for (long long r = global_warp(); r < batch; r += grid_warps())
        detail::softmax_cross_entropy_row<Classes>(logits + r * Classes, labels[r], grad != nullptr ? grad + r * Classes : nullptr,
            rows + r, weight / (float)batch);
}

/// softmax_cross_entropy over a [batch, Sequence, Classes] output of variable-length sequences (PyTorch's
/// ignore_index): row n·Sequence + t counts only when t < lengths[n]. A counted row's gradient is
/// (softmax − one-hot)/count, count = Σ lengths (summed in order by every warp: the batch is small); the
/// other rows get loss 0 and gradient 0, their labels unread. masked_mean_loss then averages the rows.
template <int Classes, int Sequence>
__device__ __forceinline__ void masked_softmax_cross_entropy(const float* logits, const float* __restrict__ labels, float* grad,
                                                             float* __restrict__ rows, const int* __restrict__ lengths, int batch)
{
    const int count = detail::valid_positions(lengths, batch);
    for (long long r = global_warp(); r < (long long)batch * Sequence; r += grid_warps())
    {
        if (r % Sequence < lengths[r / Sequence])
        {
            detail::softmax_cross_entropy_row<Classes>(logits + r * Classes, labels[r], grad != nullptr ? grad + r * Classes : nullptr,
                rows + r, 1.0f / (float)count);
            continue;
        }
        if (lane() == 0) rows[r] = 0.0f;
        if (grad != nullptr)
            for (int j = lane(); j < Classes; j += kWarp) grad[r * Classes + j] = 0.0f;
    }
}

enum class Elementwise : int { MeanSquaredError, MeanAbsoluteError, Huber, BinaryCrossEntropy };

__device__ __forceinline__ float softplus(float z) { return z > 0.0f ? z + log1pf(expf(-z)) : log1pf(expf(z)); }

/// Losses that are a mean over every output element; one thread per row of Width elements.
/// `parameter` is the Huber δ or the BCE positive weight; `weight` scales the gradient (a head's weight).
template <Elementwise L, int Width>
__device__ __forceinline__ void elementwise_loss(const float* outputs, const float* __restrict__ targets, float* grad,
                                                 float* __restrict__ rows, int batch, float parameter, float weight = 1.0f)
{
    const float inv_count = 1.0f / ((float)batch * (float)Width);
    const float grad_scale = inv_count * weight;
    for (long long r = global_thread(); r < batch; r += grid_threads())
    {
        float total = 0.0f;
        for (int j = 0; j < Width; j++)
        {
            long long i = r * Width + j;
            float p = outputs[i], t = targets[i], d = p - t, g;
            switch (L)
            {
                case Elementwise::MeanSquaredError:
                    total += d * d;
                    g = 2.0f * d;
                    break;
                case Elementwise::MeanAbsoluteError:
                    total += fabsf(d);
                    g = d > 0.0f ? 1.0f : d < 0.0f ? -1.0f : 0.0f;
                    break;
                case Elementwise::Huber:
                {
                    float a = fabsf(d);
                    total += a < parameter ? 0.5f * d * d : parameter * (a - 0.5f * parameter);
                    g = fminf(fmaxf(d, -parameter), parameter);
                    break;
                }
                default:   // binary cross-entropy with logits and positive weight
                {
                    total += parameter * t * softplus(-p) + (1.0f - t) * softplus(p);
                    float s = sigmoid(p);
                    g = parameter * t * (s - 1.0f) + (1.0f - t) * s;
                    break;
                }
            }
            if (grad != nullptr) grad[i] = g * grad_scale;
        }
        rows[r] = total * inv_count;
    }
}

/// Contrastive loss over pairs of embeddings [batch, Width], one thread per pair: with d = ‖first − second‖₂
/// and label y (1 similar, 0 dissimilar), rows[r] = ½·y·d² + ½·(1 − y)·max(0, margin − d)²; gradients
/// d(mean loss)/d(first) = (y − (1 − y)·max(0, margin − d)/d)·(first − second)/batch and its negation for
/// `second` (written, not accumulated; either may be null). A dissimilar pair at distance 0 gets gradient 0;
/// a label other than 0 or 1 yields a NaN loss (the CPU path throws instead).
template <int Width>
__device__ __forceinline__ void contrastive_loss(const float* __restrict__ first, const float* __restrict__ second,
                                                 const float* __restrict__ labels, float* __restrict__ grad_first,
                                                 float* __restrict__ grad_second, float* __restrict__ rows, int batch, float margin)
{
    const float inv_batch = 1.0f / (float)batch;
    for (long long r = global_thread(); r < batch; r += grid_threads())
    {
        const float* a = first + r * Width;
        const float* b = second + r * Width;
        float squared = 0.0f;
        for (int j = 0; j < Width; j++)
        {
            float d = a[j] - b[j];
            squared += d * d;
        }
        const float y = labels[r];
        float loss, coefficient;
        if (y == 1.0f)
        {
            loss = 0.5f * squared;
            coefficient = 1.0f;
        }
        else
        {
            float distance = sqrtf(squared);
            float gap = fmaxf(margin - distance, 0.0f);
            loss = 0.5f * gap * gap;
            coefficient = gap > 0.0f && distance > 0.0f ? -gap / distance : 0.0f;
        }
        rows[r] = y == 1.0f || y == 0.0f ? loss : __int_as_float(0x7fc00000);
        coefficient *= inv_batch;
        for (int j = 0; j < Width; j++)
        {
            float g = coefficient * (a[j] - b[j]);
            if (grad_first != nullptr) grad_first[r * Width + j] = g;
            if (grad_second != nullptr) grad_second[r * Width + j] = -g;
        }
    }
}

/// loss[0] = Σ rows[0…batch) · scale, summed in order by one block (run with a grid of 1); with `accumulate`,
/// added to loss[0] instead (the next head's weighted share of the total).
__device__ __forceinline__ void mean_loss(const float* __restrict__ rows, float* __restrict__ loss, int batch, float scale,
                                          bool accumulate = false)
{
    __shared__ float scratch[kWarp];
    if (blockIdx.x != 0) return;
    float s = 0.0f;
    for (int r = threadIdx.x; r < batch; r += kThreads) s += rows[r];
    s = block_sum(s, scratch);
    if (threadIdx.x == 0) loss[0] = accumulate ? loss[0] + s * scale : s * scale;
}

/// The loss of masked_softmax_cross_entropy: Σ rows[0…batch·Sequence) / Σ lengths, 0 when no position counts
/// (then every row is 0); summed in order by one block (run with a grid of 1).
template <int Sequence>
__device__ __forceinline__ void masked_mean_loss(const float* __restrict__ rows, float* __restrict__ loss, const int* __restrict__ lengths, int batch)
{
    const int count = detail::valid_positions(lengths, batch);
    mean_loss(rows, loss, batch * Sequence, count > 0 ? 1.0f / (float)count : 0.0f);
}

} // namespace mg
