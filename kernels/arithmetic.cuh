// ModelGen CUDA templates: the arithmetic of [Forward] (a - b, and element-wise functions of one value with their
// constants), forward and backward, as grid-stride loops. Backward accumulates (dx +=), as on the CPU.
#pragma once
#include "common.cuh"

namespace mg {

/// The element-wise functions of one value, numbered as ModelGen.ElementwiseFunction.
enum class Fn : int { Affine = 0, Exp, Log, Sqrt, Square, Abs, Clamp, ReLU, LeakyReLU, GELU, SiLU, Sigmoid, Tanh, GELUExact };

/// f(x); first and second are the function's constants (Affine: scale and shift; Clamp: bounds; LeakyReLU: slope).
template <Fn F>
__device__ __forceinline__ float apply_function(float x, float first, float second)
{
    switch (F)
    {
        case Fn::Affine: return first * x + second;
        case Fn::Exp: return expf(x);
        case Fn::Log: return logf(x);
        case Fn::Sqrt: return sqrtf(x);
        case Fn::Square: return x * x;
        case Fn::Abs: return fabsf(x);
        case Fn::Clamp: return x < first ? first : x > second ? second : x;
        case Fn::ReLU: return activate<Act::ReLU>(x, first);
        case Fn::LeakyReLU: return activate<Act::LeakyReLU>(x, first);
        case Fn::GELU: return activate<Act::GELU>(x, first);
        case Fn::SiLU: return activate<Act::SiLU>(x, first);
        case Fn::Sigmoid: return activate<Act::Sigmoid>(x, first);
        case Fn::Tanh: return activate<Act::Tanh>(x, first);
        case Fn::GELUExact: return activate<Act::GELUExact>(x, first);
        default: return x;
    }
}

/// f'(x), given x and y = f(x).
template <Fn F>
__device__ __forceinline__ float function_derivative(float x, float y, float first, float second)
{
    switch (F)
    {
        case Fn::Affine: return first;
        case Fn::Exp: return y;
        case Fn::Log: return 1.0f / x;
        case Fn::Sqrt: return 0.5f / y;
        case Fn::Square: return x + x;
        case Fn::Abs: return x > 0.0f ? 1.0f : x < 0.0f ? -1.0f : 0.0f;
        case Fn::Clamp: return x >= first && x <= second ? 1.0f : 0.0f;
        case Fn::ReLU: return derivative<Act::ReLU>(x, y, first);
        case Fn::LeakyReLU: return derivative<Act::LeakyReLU>(x, y, first);
        case Fn::GELU: return derivative<Act::GELU>(x, y, first);
        case Fn::SiLU: return derivative<Act::SiLU>(x, y, first);
        case Fn::Sigmoid: return derivative<Act::Sigmoid>(x, y, first);
        case Fn::Tanh: return derivative<Act::Tanh>(x, y, first);
        case Fn::GELUExact: return derivative<Act::GELUExact>(x, y, first);
        default: return 1.0f;
    }
}

/// y = f(x).
template <Fn F>
__device__ __forceinline__ void map_forward(const float* __restrict__ x, float* __restrict__ y, long long count, float first, float second)
{
    for (long long i = global_thread(); i < count; i += grid_threads()) y[i] = apply_function<F>(x[i], first, second);
}

/// dx += dy · f'(x).
template <Fn F>
__device__ __forceinline__ void map_backward(const float* __restrict__ x, const float* __restrict__ y, const float* __restrict__ dy, float* __restrict__ dx,
                                             long long count, float first, float second)
{
    for (long long i = global_thread(); i < count; i += grid_threads()) dx[i] += dy[i] * function_derivative<F>(x[i], y[i], first, second);
}

__device__ __forceinline__ void subtract(const float* __restrict__ a, const float* __restrict__ b, float* __restrict__ c, long long count)
{
    for (long long i = global_thread(); i < count; i += grid_threads()) c[i] = a[i] - b[i];
}

/// dx −= dy (the subtrahend's gradient).
__device__ __forceinline__ void subtract_from(const float* __restrict__ dy, float* __restrict__ dx, long long count)
{
    for (long long i = global_thread(); i < count; i += grid_threads()) dx[i] -= dy[i];
}

/// Tensor.Sum and Tensor.Mean: y[b] = scale · Σ x[b, i] over the Size elements of sample b, added in order by one thread.
template <int Size>
__device__ __forceinline__ void sum_per_sample(const float* __restrict__ x, float* __restrict__ y, long long batch, float scale)
{
    for (long long b = global_thread(); b < batch; b += grid_threads())
    {
        float sum = 0.0f;
        for (int i = 0; i < Size; i++) sum += x[b * Size + i];
        y[b] = scale * sum;
    }
}

/// dx[b, i] += scale · dy[b].
template <int Size>
__device__ __forceinline__ void sum_per_sample_backward(const float* __restrict__ dy, float* __restrict__ dx, long long batch, float scale)
{
    for (long long i = global_thread(); i < batch * Size; i += grid_threads()) dx[i] += scale * dy[i / Size];
}

}  // namespace mg
