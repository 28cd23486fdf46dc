// ModelGen CUDA templates: element-wise operations, activations and dropout (grid-stride loops).
#pragma once
#include "common.cuh"

namespace mg {

/// Elements one block covers per grid-stride step of an element-wise kernel (sizes the grid).
constexpr int kElementsPerBlock = kThreads;

/// y = f(z).
template <Act A>
__device__ __forceinline__ void activation_forward(const float* __restrict__ z, float* __restrict__ y, long long count, float slope)
{
    for (long long i = global_thread(); i < count; i += grid_threads()) y[i] = activate<A>(z[i], slope);
}

/// dz = dy · f'(z) (dz may alias dy: each element is read before it is written).
template <Act A>
__device__ __forceinline__ void activation_backward(const float* z, const float* y, const float* dy, float* dz, long long count, float slope)
{
    for (long long i = global_thread(); i < count; i += grid_threads()) dz[i] = dy[i] * derivative<A>(z[i], y[i], slope);
}

__device__ __forceinline__ void add(const float* __restrict__ a, const float* __restrict__ b, float* __restrict__ c, long long count)
{
    for (long long i = global_thread(); i < count; i += grid_threads()) c[i] = a[i] + b[i];
}

__device__ __forceinline__ void multiply(const float* __restrict__ a, const float* __restrict__ b, float* __restrict__ c, long long count)
{
    for (long long i = global_thread(); i < count; i += grid_threads()) c[i] = a[i] * b[i];
}

/// dx += dy.
__device__ __forceinline__ void add_into(const float* __restrict__ dy, float* __restrict__ dx, long long count)
{
    for (long long i = global_thread(); i < count; i += grid_threads()) dx[i] += dy[i];
}

/// dx += dy · other.
__device__ __forceinline__ void multiply_add_into(const float* __restrict__ dy, const float* __restrict__ other, float* __restrict__ dx, long long count)
{
    for (long long i = global_thread(); i < count; i += grid_threads()) dx[i] += dy[i] * other[i];
}

__device__ __forceinline__ void copy(const float* __restrict__ x, float* __restrict__ y, long long count)
{
    for (long long i = global_thread(); i < count; i += grid_threads()) y[i] = x[i];
}

/// Tensor.Concat: wide[r, Offset + j] = part[r, j] for the PartWidth columns of one part in rows of WideWidth.
template <int PartWidth, int WideWidth, int Offset>
__device__ __forceinline__ void place(const float* __restrict__ part, float* __restrict__ wide, long long rows)
{
    for (long long i = global_thread(); i < rows * PartWidth; i += grid_threads())
        wide[(i / PartWidth) * WideWidth + Offset + i % PartWidth] = part[i];
}

/// The reverse: part[r, j] = wide[r, Offset + j] (unpacking named inputs from the input rows).
template <int PartWidth, int WideWidth, int Offset>
__device__ __forceinline__ void take(const float* __restrict__ wide, float* __restrict__ part, long long rows)
{
    for (long long i = global_thread(); i < rows * PartWidth; i += grid_threads())
        part[i] = wide[(i / PartWidth) * WideWidth + Offset + i % PartWidth];
}

/// Concat backward: dpart[r, j] += dwide[r, Offset + j].
template <int PartWidth, int WideWidth, int Offset>
__device__ __forceinline__ void take_add(const float* __restrict__ dwide, float* __restrict__ dpart, long long rows)
{
    for (long long i = global_thread(); i < rows * PartWidth; i += grid_threads())
        dpart[i] += dwide[(i / PartWidth) * WideWidth + Offset + i % PartWidth];
}

/// Inverted dropout: mask = 0 with probability p, else 1/(1 − p); y = x · mask. The draw of element i
/// depends only on (seed, stream, i), so the mask does not depend on the grid. 0 ≤ p < 1.
__device__ __forceinline__ void dropout_forward(const float* __restrict__ x, float* __restrict__ y, float* __restrict__ mask, long long count,
                                                float p, unsigned long long seed, unsigned long long stream)
{
    // Dropped when the top 53 bits fall below p·2⁵³, as on the CPU (the bits themselves differ).
    const unsigned long long threshold = (unsigned long long)((double)p * 9007199254740992.0);
    const float scale = 1.0f / (1.0f - p);
    for (long long i = global_thread(); i < count; i += grid_threads())
    {
        float keep = (random_bits(seed, stream, (unsigned long long)i) >> 11) < threshold ? 0.0f : scale;
        mask[i] = keep;
        y[i] = x[i] * keep;
    }
}

} // namespace mg
