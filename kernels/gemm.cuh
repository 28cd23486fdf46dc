// ModelGen CUDA templates: tiled GEMM with fused epilogues.
//
//   C[M×N] = op(A)[M×K] · op(B)[K×N], row-major; op(X) = X or Xᵀ (the stored matrix is then K×M / N×K).
//
// One 64×64 output tile per block iteration (grid-stride over tiles), K in steps of 16 through
// shared memory, 256 threads × 16 accumulators in float32. On sm_80+ targets the inner product can
// run on tensor cores with float32 accumulation: MODELGEN_GEMM_TF32 (mma.sync m16n8k8, inputs rounded
// to TF32's 10-bit mantissa, nearest, ties away) or MODELGEN_GEMM_BF16 (mma.sync m16n8k16, inputs
// rounded to bfloat16's 7-bit mantissa, nearest even). Without either, and on older targets, the
// CUDA cores compute in full fp32. The epilogue receives each finished (row, column, value): store,
// accumulate, or bias + activation.
#pragma once
#include "common.cuh"

namespace mg {

constexpr int kTileM = 64;
constexpr int kTileN = 64;
constexpr int kTileK = 16;

/// C = value (or C += value when Accumulate): plain products and gradient accumulation.
template <bool Accumulate>
struct StoreEpilogue
{
    float* c;
    int ldc;
    __device__ __forceinline__ void operator()(int row, int col, float v) const
    {
        float* p = c + (long long)row * ldc + col;
        *p = Accumulate ? *p + v : v;
    }
};

/// pre = value + bias[col] (bias may be null), y = f(pre); pre is stored only when f is not the identity.
template <Act A>
struct BiasActivationEpilogue
{
    const float* bias;
    float* pre;
    float* y;
    int ldc;
    float slope;
    __device__ __forceinline__ void operator()(int row, int col, float v) const
    {
        long long i = (long long)row * ldc + col;
        if (bias != nullptr) v += bias[col];
        if (A != Act::None) pre[i] = v;
        y[i] = activate<A>(v, slope);
    }
};

namespace detail {

/// Loads one K-slab of op(A) (64×16) and op(B) (16×64) into shared memory, zero outside the matrices.
template <bool TransA, bool TransB>
__device__ __forceinline__ void load_tiles(const float* __restrict__ a, const float* __restrict__ b, int m, int n, int k,
                                           int m0, int n0, int k0, float (*as)[kTileM + 4], float (*bs)[kTileN + 4])
{
    for (int e = threadIdx.x; e < kTileM * kTileK; e += kThreads)
    {
        int mi, ki;
        if (TransA) { ki = e / kTileM; mi = e % kTileM; }   // stored K×M: consecutive threads read along M
        else { mi = e / kTileK; ki = e % kTileK; }          // stored M×K: consecutive threads read along K
        int gm = m0 + mi, gk = k0 + ki;
        float v = 0.0f;
        if (gm < m && gk < k) v = TransA ? a[(long long)gk * m + gm] : a[(long long)gm * k + gk];
        as[ki][mi] = v;
    }
    for (int e = threadIdx.x; e < kTileK * kTileN; e += kThreads)
    {
        int ni, ki;
        if (TransB) { ni = e / kTileK; ki = e % kTileK; }   // stored N×K
        else { ki = e / kTileN; ni = e % kTileN; }          // stored K×N
        int gn = n0 + ni, gk = k0 + ki;
        float v = 0.0f;
        if (gn < n && gk < k) v = TransB ? b[(long long)gn * k + gk] : b[(long long)gk * n + gn];
        bs[ki][ni] = v;
    }
}

// The tensor-core path needs sm_80 (or the host emulation of the tests, which supplies the four
// instruction wrappers below with the PTX ISA's fragment layouts).
#if (defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800) || (!defined(__CUDA_ARCH__) && defined(MODELGEN_HOST_EMULATION))
#if defined(MODELGEN_GEMM_TF32)
#define MODELGEN_USE_TENSOR_CORES 1
#define MODELGEN_TENSOR_CORES_TF32 1
#elif defined(MODELGEN_GEMM_BF16)
#define MODELGEN_USE_TENSOR_CORES 1
#define MODELGEN_TENSOR_CORES_BF16 1
#endif
#endif

#if defined(MODELGEN_USE_TENSOR_CORES) && !defined(MODELGEN_HOST_EMULATION)
/// v rounded to TF32 (nearest, ties away from zero), as the 32-bit pattern mma.sync reads.
__device__ __forceinline__ unsigned int to_tf32(float v)
{
    unsigned int r;
    asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(v));
    return r;
}

/// c += a·b for one 16×8×8 TF32 product (fragments in the PTX layout of mma.m16n8k8).
__device__ __forceinline__ void mma_tf32(float (&c)[4], const unsigned int (&a)[4], const unsigned int (&b)[2])
{
    asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                 : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

/// Two floats rounded to bfloat16 (nearest even) in one register: `low` in bits 0–15, `high` in 16–31.
__device__ __forceinline__ unsigned int to_bf16x2(float low, float high)
{
    unsigned int r;
    asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(high), "f"(low));
    return r;
}

/// c += a·b for one 16×8×16 bfloat16 product (fragments in the PTX layout of mma.m16n8k16).
__device__ __forceinline__ void mma_bf16(float (&c)[4], const unsigned int (&a)[4], const unsigned int (&b)[2])
{
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                 : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}
#endif

#ifdef MODELGEN_USE_TENSOR_CORES
/// acc[t] += the warp's 16 rows (from wm) × 8 columns (from wn + 8t) over one 16-deep slab of shared memory.
/// group = lane / 4 and tig = lane % 4 place the lane in the fragments.
__device__ __forceinline__ void mma_slab(const float (*as)[kTileM + 4], const float (*bs)[kTileN + 4], int wm, int wn, int group, int tig, float (&acc)[4][4])
{
#ifdef MODELGEN_TENSOR_CORES_TF32
    for (int kb = 0; kb < kTileK; kb += 8)
    {
        // A fragment (16×8): rows group / group+8, columns tig / tig+4; B fragment (8×8): rows tig / tig+4, column group.
        unsigned int fa[4] = {
            to_tf32(as[kb + tig][wm + group]), to_tf32(as[kb + tig][wm + group + 8]),
            to_tf32(as[kb + tig + 4][wm + group]), to_tf32(as[kb + tig + 4][wm + group + 8]) };
        for (int t = 0; t < 4; t++)
        {
            unsigned int fb[2] = { to_tf32(bs[kb + tig][wn + t * 8 + group]), to_tf32(bs[kb + tig + 4][wn + t * 8 + group]) };
            mma_tf32(acc[t], fa, fb);
        }
    }
#else
    static_assert(kTileK == 16, "one m16n8k16 product per slab");
    // A fragment (16×16): rows group / group+8, column pairs 2·tig / 2·tig+8; B fragment (16×8): row pairs 2·tig / 2·tig+8, column group.
    const int k = 2 * tig;
    unsigned int fa[4] = {
        to_bf16x2(as[k][wm + group], as[k + 1][wm + group]), to_bf16x2(as[k][wm + group + 8], as[k + 1][wm + group + 8]),
        to_bf16x2(as[k + 8][wm + group], as[k + 9][wm + group]), to_bf16x2(as[k + 8][wm + group + 8], as[k + 9][wm + group + 8]) };
    for (int t = 0; t < 4; t++)
    {
        const int col = wn + t * 8 + group;
        unsigned int fb[2] = { to_bf16x2(bs[k][col], bs[k + 1][col]), to_bf16x2(bs[k + 8][col], bs[k + 9][col]) };
        mma_bf16(acc[t], fa, fb);
    }
#endif
}
#endif

} // namespace detail

/// C = op(A)·op(B) through <paramref name="epilogue"/>; every thread of the block must call it.
template <bool TransA, bool TransB, class Epilogue>
__device__ void gemm(const float* __restrict__ a, const float* __restrict__ b, int m, int n, int k, Epilogue epilogue)
{
    __shared__ float as[kTileK][kTileM + 4];
    __shared__ float bs[kTileK][kTileN + 4];
    // Tile indices are 32-bit ints: NVRTC 11.8 rejects ("unsupported operation") the 64-bit and the unsigned
    // division by a constant tile count in some instantiations, and 2³¹ tiles of 64×64 exceed any buffer.
    const int tilesN = (n + kTileN - 1) / kTileN;
    const int tiles = ((m + kTileM - 1) / kTileM) * tilesN;
    for (int tile = (int)blockIdx.x; tile < tiles; tile += (int)gridDim.x)
    {
        const int m0 = (tile / tilesN) * kTileM;
        const int n0 = (tile % tilesN) * kTileN;
#ifdef MODELGEN_USE_TENSOR_CORES
        // 8 warps as 4 (rows) × 2 (columns); each warp owns 16 rows × 32 columns = four m16n8 tiles.
        const int warp = threadIdx.x / kWarp, group = lane() / 4, tig = lane() % 4;
        const int wm = (warp % 4) * 16, wn = (warp / 4) * 32;
        float acc[4][4] = {};
        for (int k0 = 0; k0 < k; k0 += kTileK)
        {
            detail::load_tiles<TransA, TransB>(a, b, m, n, k, m0, n0, k0, as, bs);
            __syncthreads();
            detail::mma_slab(as, bs, wm, wn, group, tig, acc);
            __syncthreads();
        }
        for (int t = 0; t < 4; t++)
            for (int r = 0; r < 4; r++)
            {
                int row = m0 + wm + group + (r >= 2 ? 8 : 0);
                int col = n0 + wn + t * 8 + tig * 2 + (r & 1);
                if (row < m && col < n) epilogue(row, col, acc[t][r]);
            }
#else
        // 16×16 threads, each owning rows ty + 16i and columns tx + 16j (strided: no bank conflicts).
        const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
        float acc[4][4] = {};
        for (int k0 = 0; k0 < k; k0 += kTileK)
        {
            detail::load_tiles<TransA, TransB>(a, b, m, n, k, m0, n0, k0, as, bs);
            __syncthreads();
#pragma unroll
            for (int kk = 0; kk < kTileK; kk++)
            {
                float av[4], bv[4];
#pragma unroll
                for (int i = 0; i < 4; i++) { av[i] = as[kk][ty + 16 * i]; bv[i] = bs[kk][tx + 16 * i]; }
#pragma unroll
                for (int i = 0; i < 4; i++)
#pragma unroll
                    for (int j = 0; j < 4; j++) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
            }
            __syncthreads();
        }
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
            {
                int row = m0 + ty + 16 * i, col = n0 + tx + 16 * j;
                if (row < m && col < n) epilogue(row, col, acc[i][j]);
            }
#endif
    }
}

/// Output elements one tile covers (the runtime sizes GEMM grids by it).
constexpr int kGemmItemsPerBlock = kTileM * kTileN;

/// db[j] += Σ_rows dy[row, j]: the bias gradient of a dense layer (one thread per column, rows in order).
__device__ __forceinline__ void column_sums_into(const float* __restrict__ dy, float* __restrict__ db, long long rows, int columns)
{
    for (long long j = global_thread(); j < columns; j += grid_threads())
    {
        float s = 0.0f;
        for (long long r = 0; r < rows; r++) s += dy[r * columns + j];
        db[j] += s;
    }
}

} // namespace mg
