// Runs CUDA kernels on the CPU, for tests on machines without a GPU.
//
// Every CUDA thread of a block is a std::thread (so __syncthreads and warp shuffles really
// synchronise); blocks run one after another, which lets __shared__ be a function-local static.
// Only what the ModelGen templates use is emulated. It checks indexing, synchronisation and
// arithmetic of the kernels; it says nothing about GPU timing, memory ordering or tensor cores.
#pragma once
#include <atomic>
#include <barrier>
#include <cmath>
#include <cstring>
#include <functional>
#include <math.h>
#include <memory>
#include <thread>
#include <vector>

#define __device__
#define __global__
#define __forceinline__ inline
#define __launch_bounds__(threads)
#define __shared__ static

struct dim3 { unsigned int x = 1, y = 1, z = 1; };

namespace emulation {
struct Warp
{
    explicit Warp(int lanes) : barrier(lanes) {}
    std::barrier<> barrier;
    float slots[32] = {};
};

struct Block
{
    explicit Block(int threads) : barrier(threads) {}
    std::barrier<> barrier;
    std::vector<std::unique_ptr<Warp>> warps;
};

inline thread_local dim3 thread_index, block_index;
inline thread_local Block* block = nullptr;
inline dim3 block_dim, grid_dim;

/// Runs body() as grid × threads emulated CUDA threads.
inline void launch(unsigned int grid, unsigned int threads, const std::function<void()>& body)
{
    grid_dim.x = grid;
    block_dim.x = threads;
    for (unsigned int b = 0; b < grid; b++)
    {
        Block shared((int)threads);
        for (unsigned int w = 0; w < (threads + 31) / 32; w++) shared.warps.push_back(std::make_unique<Warp>((int)(threads - w * 32 < 32 ? threads - w * 32 : 32)));
        std::vector<std::thread> pool;
        pool.reserve(threads);
        for (unsigned int t = 0; t < threads; t++)
            pool.emplace_back([&, b, t] {
                thread_index.x = t;
                block_index.x = b;
                block = &shared;
                body();
            });
        for (auto& thread : pool) thread.join();
    }
}
} // namespace emulation

#define threadIdx (emulation::thread_index)
#define blockIdx (emulation::block_index)
#define blockDim (emulation::block_dim)
#define gridDim (emulation::grid_dim)

inline void __syncthreads() { emulation::block->barrier.arrive_and_wait(); }

inline emulation::Warp& current_warp() { return *emulation::block->warps[threadIdx.x / 32]; }

inline void __syncwarp(unsigned int = 0xffffffffu) { current_warp().barrier.arrive_and_wait(); }

inline float __shfl_xor_sync(unsigned int, float value, int offset)
{
    auto& warp = current_warp();
    int lane = (int)(threadIdx.x % 32);
    warp.slots[lane] = value;
    warp.barrier.arrive_and_wait();
    float other = warp.slots[lane ^ offset];
    warp.barrier.arrive_and_wait();
    return other;
}

inline float __int_as_float(int bits)
{
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }

inline float atomicAdd(float* address, float value) { return std::atomic_ref<float>(*address).fetch_add(value); }
