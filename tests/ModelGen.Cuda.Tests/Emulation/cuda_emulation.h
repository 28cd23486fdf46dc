// Runs CUDA kernels on the CPU, for tests on machines without a GPU.
//
// Every CUDA thread of a block is a std::thread (so __syncthreads and warp shuffles really
// synchronise); blocks run one after another, which lets __shared__ be a function-local static.
// Only what the ModelGen templates use is emulated. It checks indexing, synchronisation and
// arithmetic of the kernels; it says nothing about GPU timing or memory ordering. The tensor-core
// instructions of the GEMM are emulated from the PTX ISA's description (fragment layouts, rounding),
// so the TF32 and BF16 paths are checked for indexing and precision, not for the hardware's own
// accumulation order.
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
    float a[16][16] = {}, b[16][8] = {};   // one mma.sync's operands, assembled from the lanes' fragments
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

// ---- Tensor cores (mma.sync), for the GEMM's TF32 and BF16 paths -------------------------------------

#define MODELGEN_HOST_EMULATION 1

namespace emulation {
inline unsigned int bits_of(float v) { unsigned int u; std::memcpy(&u, &v, sizeof u); return u; }
inline float float_of(unsigned int u) { float v; std::memcpy(&v, &u, sizeof v); return v; }

/// c += A·B on the warp: each lane has put its fragment elements into warp.a / warp.b; the C fragment
/// layout (rows group, group+8; columns 2·tig, 2·tig+1) is the same for m16n8k8 and m16n8k16.
inline void warp_product(float (&c)[4], int depth)
{
    auto& warp = current_warp();
    int lane = (int)(threadIdx.x % 32), group = lane / 4, tig = lane % 4;
    warp.barrier.arrive_and_wait();
    for (int r = 0; r < 4; r++)
    {
        int row = group + (r >= 2 ? 8 : 0), col = 2 * tig + (r & 1);
        float sum = 0.0f;
        for (int k = 0; k < depth; k++) sum += warp.a[row][k] * warp.b[k][col];
        c[r] += sum;
    }
    warp.barrier.arrive_and_wait();
}
} // namespace emulation

namespace mg::detail {
/// cvt.rna.tf32.f32: 10-bit mantissa, round to nearest, ties away from zero.
inline unsigned int to_tf32(float v)
{
    unsigned int u = emulation::bits_of(v);
    if ((u & 0x7f800000u) == 0x7f800000u) return u;   // inf / NaN unchanged
    return (u + 0x1000u) & 0xffffe000u;
}

/// mma.sync.m16n8k8 .tf32: a0 (group, tig), a1 (group+8, tig), a2 (group, tig+4), a3 (group+8, tig+4);
/// b0 (tig, group), b1 (tig+4, group).
inline void mma_tf32(float (&c)[4], const unsigned int (&a)[4], const unsigned int (&b)[2])
{
    auto& warp = current_warp();
    int lane = (int)(threadIdx.x % 32), group = lane / 4, tig = lane % 4;
    warp.a[group][tig] = emulation::float_of(a[0]);
    warp.a[group + 8][tig] = emulation::float_of(a[1]);
    warp.a[group][tig + 4] = emulation::float_of(a[2]);
    warp.a[group + 8][tig + 4] = emulation::float_of(a[3]);
    warp.b[tig][group] = emulation::float_of(b[0]);
    warp.b[tig + 4][group] = emulation::float_of(b[1]);
    emulation::warp_product(c, 8);
}

/// cvt.rn.bf16x2.f32: two bfloat16 (7-bit mantissa, round to nearest even), `low` in bits 0–15.
inline unsigned int to_bf16x2(float low, float high)
{
    auto round = [](float v) -> unsigned int
    {
        unsigned int u = emulation::bits_of(v);
        if ((u & 0x7f800000u) == 0x7f800000u) return (u >> 16) | ((u & 0x7fffffu) != 0 ? 0x40u : 0u);   // inf; NaN stays NaN
        return (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
    };
    return round(low) | (round(high) << 16);
}

/// mma.sync.m16n8k16 .bf16, two elements per register (lower column / row in the low half):
/// a0,a1 (group, 2·tig+0/1), a2,a3 (group+8, 2·tig+0/1), a4,a5 (group, 2·tig+8+0/1), a6,a7 (group+8, 2·tig+8+0/1);
/// b0,b1 (2·tig+0/1, group), b2,b3 (2·tig+8+0/1, group).
inline void mma_bf16(float (&c)[4], const unsigned int (&a)[4], const unsigned int (&b)[2])
{
    auto& warp = current_warp();
    int lane = (int)(threadIdx.x % 32), group = lane / 4, tig = lane % 4;
    auto half = [](unsigned int pair, int which) { return emulation::float_of(((pair >> (16 * which)) & 0xffffu) << 16); };
    for (int h = 0; h < 2; h++)
    {
        warp.a[group][2 * tig + h] = half(a[0], h);
        warp.a[group + 8][2 * tig + h] = half(a[1], h);
        warp.a[group][2 * tig + 8 + h] = half(a[2], h);
        warp.a[group + 8][2 * tig + 8 + h] = half(a[3], h);
        warp.b[2 * tig + h][group] = half(b[0], h);
        warp.b[2 * tig + 8 + h][group] = half(b[1], h);
    }
    emulation::warp_product(c, 16);
}
} // namespace mg::detail
