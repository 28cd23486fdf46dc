// ModelGen CUDA templates: shared definitions.
//
// Every kernel of a generated model runs with mg::kThreads threads per block and walks its work
// with grid-stride loops, so any grid size is correct; the runtime sizes the grid from the work.
// Only built-in CUDA types and functions are used: NVRTC compiles this without any system header.
#pragma once

namespace mg {

/// Threads per block of every ModelGen kernel (8 warps).
constexpr int kThreads = 256;
constexpr int kWarp = 32;

/// Mirrors ModelGen.Activation (same order).
enum class Act : int { None = 0, ReLU, LeakyReLU, GELU, SiLU, Sigmoid, Tanh, GELUExact };

/// √(2/π), the GELU tanh-approximation constant (the CPU kernels use the same form).
constexpr float kGeluC = 0.7978845608028654f;
constexpr float kGeluA = 0.044715f;
/// 1/√2 and 1/√(2π), for the exact GELU x·Φ(x) with Φ(x) = ½·erfc(−x/√2) and Φ'(x) = e^(−x²/2)/√(2π).
constexpr float kSqrtHalf = 0.70710678118654752f;
constexpr float kInvSqrtTwoPi = 0.39894228040143268f;

__device__ __forceinline__ float negative_infinity() { return __int_as_float(0xff800000); }

/// Numerically stable logistic function.
__device__ __forceinline__ float sigmoid(float z)
{
    if (z >= 0.0f) return 1.0f / (1.0f + expf(-z));
    float e = expf(z);
    return e / (1.0f + e);
}

/// y = f(z).
template <Act A>
__device__ __forceinline__ float activate(float z, float slope)
{
    switch (A)
    {
        case Act::ReLU: return z > 0.0f ? z : 0.0f;
        case Act::LeakyReLU: return z > 0.0f ? z : z * slope;
        case Act::GELU: return 0.5f * z * (1.0f + tanhf(kGeluC * (z + kGeluA * z * z * z)));
        case Act::SiLU: return z * sigmoid(z);
        case Act::Sigmoid: return sigmoid(z);
        case Act::Tanh: return tanhf(z);
        // erfc of −x/√2 rather than 1 + erf(x/√2): no cancellation for negative x, where Φ is small.
        case Act::GELUExact: return z * (0.5f * erfcf(-z * kSqrtHalf));
        default: return z;
    }
}

/// f'(z), given z and y = f(z).
template <Act A>
__device__ __forceinline__ float derivative(float z, float y, float slope)
{
    switch (A)
    {
        case Act::ReLU: return z > 0.0f ? 1.0f : 0.0f;
        case Act::LeakyReLU: return z > 0.0f ? 1.0f : slope;
        case Act::GELU:
        {
            float t = tanhf(kGeluC * (z + kGeluA * z * z * z));
            return 0.5f * (1.0f + t) + 0.5f * z * (1.0f - t * t) * kGeluC * (1.0f + 3.0f * kGeluA * z * z);
        }
        case Act::SiLU:
        {
            float s = sigmoid(z);
            return s * (1.0f + z * (1.0f - s));
        }
        case Act::Sigmoid: return y * (1.0f - y);
        case Act::Tanh: return 1.0f - y * y;
        case Act::GELUExact: return 0.5f * erfcf(-z * kSqrtHalf) + z * kInvSqrtTwoPi * expf(-0.5f * z * z);
        default: return 1.0f;
    }
}

/// First index and stride of a grid-stride loop over threads.
__device__ __forceinline__ long long global_thread() { return (long long)blockIdx.x * blockDim.x + threadIdx.x; }
__device__ __forceinline__ long long grid_threads() { return (long long)gridDim.x * blockDim.x; }

/// Σ dy over the batch and every position of channel c of an NCHW tensor, in index order: a per-channel bias gradient.
__device__ __forceinline__ float channel_sum(const float* __restrict__ dy, int c, int channels, int positions, int batch)
{
    float s = 0.0f;
    for (long long n = 0; n < batch; n++)
        for (int p = 0; p < positions; p++) s += dy[(n * channels + c) * positions + p];
    return s;
}

/// First index and stride of a grid-stride loop over warps (one row per warp).
__device__ __forceinline__ long long global_warp() { return global_thread() / kWarp; }
__device__ __forceinline__ long long grid_warps() { return grid_threads() / kWarp; }
__device__ __forceinline__ int lane() { return threadIdx.x & (kWarp - 1); }

__device__ __forceinline__ float warp_sum(float v)
{
    for (int offset = kWarp / 2; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
    return v;
}

__device__ __forceinline__ float warp_max(float v)
{
    for (int offset = kWarp / 2; offset > 0; offset /= 2) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, offset));
    return v;
}

/// Sum over the block (kThreads threads); every thread gets the result. `scratch` holds kWarp floats.
__device__ __forceinline__ float block_sum(float v, float* scratch)
{
    v = warp_sum(v);
    __syncthreads();   // scratch may still be read by a previous call
    if (lane() == 0) scratch[threadIdx.x / kWarp] = v;
    __syncthreads();
    float total = threadIdx.x < kThreads / kWarp ? scratch[threadIdx.x] : 0.0f;
    if (threadIdx.x < kWarp) total = warp_sum(total);
    if (threadIdx.x == 0) scratch[0] = total;
    __syncthreads();
    return scratch[0];
}

/// Counter-based random bits (a SplitMix64 finaliser over seed and index): the same seed and
/// element index give the same draw for any grid, so a dropout mask does not depend on the launch.
__device__ __forceinline__ unsigned long long mix64(unsigned long long z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

__device__ __forceinline__ unsigned long long random_bits(unsigned long long seed, unsigned long long stream, unsigned long long index)
{
    return mix64(seed * 0x9e3779b97f4a7c15ull + mix64(stream + 0x632be59bd9b4e019ull) + index);
}

} // namespace mg
