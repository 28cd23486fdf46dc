// Runs CUDA kernels on the CPU, for tests on machines without a GPU.
//
// Every CUDA thread of a block is a fiber (ucontext) on the calling OS thread: a thread runs until it
// reaches __syncthreads, a warp shuffle or __syncwarp, then yields; the barrier opens when every thread
// it waits for has arrived, as on a GPU. Blocks run one after another, which lets __shared__ be a
// function-local static. Fibers instead of OS threads make a launch cost microseconds, not thousands of
// thread starts, and keep the run deterministic. Only what the ModelGen templates use is emulated. It
// checks indexing, synchronisation and arithmetic of the kernels; it says nothing about GPU timing or
// memory ordering (threads between two barriers run one after another, in index order). The
// tensor-core instructions of the GEMM are emulated from the PTX ISA's description (fragment layouts,
// rounding), so the TF32 and BF16 paths are checked for indexing and precision, not for the hardware's
// own accumulation order.
#pragma once
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <math.h>
#include <memory>
#include <vector>
#include <ucontext.h>

#define __device__
#define __global__
#define __forceinline__ inline
#define __launch_bounds__(threads)
#define __shared__ static

struct dim3 { unsigned int x = 1, y = 1, z = 1; };

namespace emulation {
/// A barrier for fibers: the last thread to arrive opens it; the others yield until its generation moves on.
struct Barrier
{
    explicit Barrier(int expected) : expected(expected) {}
    int expected;
    int arrived = 0;
    unsigned long long generation = 0;
    void arrive_and_wait();
};

struct Warp
{
    explicit Warp(int lanes) : barrier(lanes) {}
    Barrier barrier;
    float slots[32] = {};
    float a[16][16] = {}, b[16][8] = {};   // one mma.sync's operands, assembled from the lanes' fragments
};

struct Block
{
    explicit Block(int threads) : barrier(threads) {}
    Barrier barrier;
    std::vector<std::unique_ptr<Warp>> warps;
};

/// One emulated CUDA thread: its context and stack (stacks are kept between launches).
struct Fiber
{
    ucontext_t context{};
    std::unique_ptr<char[]> stack;
    bool done = false;
};

inline constexpr std::size_t kStackBytes = 256 * 1024;
inline thread_local dim3 thread_index, block_index;
inline thread_local Block* block = nullptr;
inline thread_local ucontext_t scheduler;
inline thread_local Fiber* running = nullptr;
inline thread_local const std::function<void()>* kernel_body = nullptr;
inline thread_local std::vector<std::unique_ptr<Fiber>>* fiber_pool = nullptr;
inline thread_local unsigned long long arrivals = 0;   // barrier arrivals and finished threads: progress
inline dim3 block_dim, grid_dim;

/// Hands control back to the launch loop, which resumes the other threads of the block.
inline void yield() { swapcontext(&running->context, &scheduler); }

inline void Barrier::arrive_and_wait()
{
    unsigned long long waiting_for = generation;
    arrivals++;
    if (++arrived == expected)
    {
        arrived = 0;
        generation++;
        return;
    }
    while (generation == waiting_for) yield();
}

inline void fiber_entry()
{
    (*kernel_body)();
    arrivals++;
    running->done = true;   // uc_link returns to the scheduler
}

/// Runs body() as grid × threads emulated CUDA threads.
inline void launch(unsigned int grid, unsigned int threads, const std::function<void()>& body)
{
    grid_dim.x = grid;
    block_dim.x = threads;
    if (fiber_pool == nullptr) fiber_pool = new std::vector<std::unique_ptr<Fiber>>();
    auto& fibers = *fiber_pool;
    while (fibers.size() < threads)
    {
        auto fiber = std::make_unique<Fiber>();
        fiber->stack.reset(new char[kStackBytes]);   // uninitialised: a stack needs no zeroing
        fibers.push_back(std::move(fiber));
    }
    kernel_body = &body;
    for (unsigned int b = 0; b < grid; b++)
    {
        Block shared((int)threads);
        for (unsigned int w = 0; w < (threads + 31) / 32; w++) shared.warps.push_back(std::make_unique<Warp>((int)(threads - w * 32 < 32 ? threads - w * 32 : 32)));
        block = &shared;
        block_index.x = b;
        for (unsigned int t = 0; t < threads; t++)
        {
            Fiber& f = *fibers[t];
            f.done = false;
            getcontext(&f.context);
            f.context.uc_stack.ss_sp = f.stack.get();
            f.context.uc_stack.ss_size = kStackBytes;
            f.context.uc_link = &scheduler;
            makecontext(&f.context, fiber_entry, 0);
        }
        // Round robin until every thread has returned; a thread waiting at a barrier yields at once.
        for (unsigned int live = threads; live > 0;)
        {
            unsigned long long before = arrivals;
            live = 0;
            for (unsigned int t = 0; t < threads; t++)
            {
                Fiber& f = *fibers[t];
                if (f.done) continue;
                running = &f;
                thread_index.x = t;
                swapcontext(&scheduler, &f.context);
                if (!f.done) live++;
            }
            if (live > 0 && arrivals == before)
            {
                // Every live thread waits at a barrier that can no longer open (some threads returned or wait elsewhere).
                std::fprintf(stderr, "emulation: deadlock in block %u: %u threads wait at a barrier the others never reach\n", b, live);
                std::abort();
            }
        }
        running = nullptr;
        block = nullptr;
    }
    kernel_body = nullptr;
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

inline float atomicAdd(float* address, float value)
{
    float old = *address;   // one OS thread runs every fiber: no race
    *address = old + value;
    return old;
}

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
