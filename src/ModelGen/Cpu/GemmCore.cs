using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelGen.Cpu;

/// <summary>
/// Work applied to each tile of C once its last block of k is summed, while the tile is still in
/// L1: <c>z = C + bias</c> stored back to C, and <c>y = f(z)</c>.
/// </summary>
internal unsafe struct GemmEpilogue<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Per-column bias (length n), or null.</summary>
    public T* Bias;
    /// <summary>Activation output, m×n like C; may equal C.</summary>
    public T* Y;
    public Activation Activation;
    public T NegativeSlope;

    /// <summary>Whether there is anything to do (a default epilogue is inactive).</summary>
    public readonly bool IsActive => Y != null;
}

/// <summary>The blocked GEMM driver shared by <see cref="Gemm"/> and the fused dense forward.</summary>
internal static unsafe class GemmCore
{
    /// <summary>
    /// Block of k summed in registers before adding into C: a row panel of A (MR × KBlock) then
    /// stays in L1 and a packed block of B (KBlock × <see cref="NBlock"/>) in L2. It is the same
    /// for every kernel width, so every kernel yields the same bits.
    /// </summary>
    public const int KBlock = 256;

    /// <summary>
    /// Below this many multiply-adds a product runs on the calling thread: a split must save more than handing a share to
    /// the worker costs. 2^20 is about 10 µs of arithmetic on one core at 200 GFLOP/s. It splits the transformer's 64-row
    /// output projection (2^20), which since such products split by rows (each thread keeps its own rows) took 25 → 19 µs
    /// for the two layers and the batch-1 prediction +5% (alternating runs with 2^21); no other benchmark product lies
    /// between the two. With column splits, 2^20 had gained nothing over 2^21.
    /// </summary>
    public const long ParallelThreshold = 1L << 20;

    /// <summary>
    /// Replaces <see cref="ParallelThreshold"/> for products started on this thread (0: use it).
    /// Tests set it to split even small products, so partition edge cases are covered.
    /// </summary>
    [ThreadStatic] internal static long ParallelThresholdOverride;

    /// <summary>
    /// Forces the kernel width, in bits (512, 256, 128, or 1 for scalar), for products started on
    /// this thread; 0 picks the widest accelerated one. Lets tests check every kernel on one machine.
    /// </summary>
    [ThreadStatic] internal static int ForcedWidth;

    /// <summary>Sends products with few rows through the packed path too, for products started on this thread; tests compare the two paths.</summary>
    [ThreadStatic] internal static bool SmallRowsDisabled;

    private const int PartsPerThread = 4;

    /// <summary>
    /// How many rows of B ahead <see cref="PackB"/> asks for the row it will copy. The weights a training step packs were
    /// last written by the optimizer's pass and come from memory; without the requests each panel row waited on its own
    /// lines. mnist-mlp's training step, median of about 43 ten-step runs, one build switched by a variable: 9.20–9.29 ms
    /// without, 8.89–9.03 with 4 to 12 rows ahead (three rounds of alternating processes), 16 and 24 as good as 12. The
    /// committed build against the one before, ten alternating rounds on a noisier machine: 0.99 of the time (0.88–1.01).
    /// </summary>
    private const int PackAheadRows = 16;

    /// <summary>Elements of B (512 KiB of float) up to which a split product takes rows whatever its shape: see <see cref="Run{T}"/>.</summary>
    private const long SmallRightOperand = 1L << 17;

    /// <summary>Largest MR and NR of any kernel, for sizing scratch.</summary>
    private const int MaxMR = 16, MaxNR = 32;

    /// <summary>Packed block of B, one edge tile and one edge panel of A, at their largest.</summary>
    private const int ComputeScratchElements = KBlock * NBlock + MaxMR * MaxNR + MaxMR * KBlock;

    /// <summary>Kernel code of <see cref="Kernel512Narrow{T}"/>, picked instead of the 512-bit kernel when C is at most one vector wide.</summary>
    private const int Narrow512 = 511;

    /// <summary>Columns of B packed at once (a multiple of every NR): KBlock × NBlock elements stay in L2.</summary>
    private const int NBlock = 512;

    public static void Run<T>(bool transA, bool transB, int m, int n, int k, T* a, T* b, T* c, bool accumulate, in GemmEpilogue<T> epilogue)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (m < 0) throw new ArgumentOutOfRangeException(nameof(m), m, "The row count must not be negative.");
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), n, "The column count must not be negative.");
        if (k < 0) throw new ArgumentOutOfRangeException(nameof(k), k, "The shared dimension must not be negative.");
        if (m == 0 || n == 0) return;

        var problem = new GemmProblem<T>
        {
            A = a,
            RowStrideA = transA ? 1 : k,
            DepthStrideA = transA ? m : 1,
            B = b,
            TransB = transB,
            C = c,
            N = n,
            K = k,
            Accumulate = accumulate,
            Epilogue = epilogue,
        };
        int width = KernelWidth<T>();
        if (width == 512 && n <= Kernel512Narrow<T>.NR) width = Narrow512;
        int mr = width switch { 512 => Kernel512<T>.MR, Narrow512 => Kernel512Narrow<T>.MR, 256 => Kernel256<T>.MR, 128 => Kernel128<T>.MR, _ => KernelScalar<T>.MR };
        int nr = width switch { 512 => Kernel512<T>.NR, Narrow512 => Kernel512Narrow<T>.NR, 256 => Kernel256<T>.NR, 128 => Kernel128<T>.NR, _ => KernelScalar<T>.NR };

        // A few rows of row-major A and B (a single request, a small batch): read B in place on this thread.
        // Packing B would copy all of it to read it once or twice, and a worker's hand-off would outlast the work.
        if (m <= GemmSmallRows.RowLimit && !transA && !transB && k > 0 && !SmallRowsDisabled)
        {
            if (width is 512 or Narrow512)
            {
                GemmSmallRows.Run<T, Vector512<T>, Lanes512<T>>(m, n, k, a, b, c, accumulate, in epilogue);
                return;
            }
            if (width == 256)
            {
                GemmSmallRows.Run<T, Vector256<T>, Lanes256<T>>(m, n, k, a, b, c, accumulate, in epilogue);
                return;
            }
        }

        int threads = CpuParallel.ThreadCount;
        long threshold = ParallelThresholdOverride;
        if (threads > 1 && (long)m * n * k >= (threshold > 0 ? threshold : ParallelThreshold))
        {
            int rowBlocks = (m + mr - 1) / mr, colBlocks = (n + nr - 1) / nr;
            // Splitting columns has every thread read all of A and pack its own share of B; splitting rows has every
            // thread read its own rows of A and pack all of B itself. Whatever one thread reads that the other wrote
            // crosses between the cores, and a cache line took ~450 ns there and back on the 2-core machine this was
            // measured on (`Bench --models core-latency`). So the larger operand is the one kept apart: rows when A is
            // taller than B is wide (a large batch through a narrow layer), or when C has too few column panels. Rows
            // too when B is small (a layer's weights, which no thread writes while they are read, stay in both cores'
            // caches): then packing all of it twice costs less than moving A between the cores.
            bool smallB = (long)k * n <= SmallRightOperand;
            bool splitColumns = colBlocks >= threads && (m <= n && !smallB || rowBlocks < threads);
            int blocks = splitColumns ? colBlocks : rowBlocks;
            // Columns: a few parts per thread, so a worker that wakes late still takes a share (each part packs only its
            // own columns of B). Rows: one contiguous share per thread, so each packs B once and the same thread gets
            // the same rows from one layer to the next (the rows it wrote are the rows it reads).
            int parts = Math.Min(splitColumns ? threads * PartsPerThread : threads, blocks);
            if (parts > 1)
            {
                var job = GemmJob<T>.ForThisThread();
                job.Problem = problem;
                job.Width = width;
                job.M = m;
                job.SplitColumns = splitColumns;
                job.BlockSize = splitColumns ? nr : mr;
                job.Blocks = blocks;
                job.Parts = parts;
                CpuParallel.Run(job, parts);
                job.Problem = default;
                return;
            }
        }
        Compute(width, in problem, 0, m, 0, n);
    }

    internal static int KernelWidth<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        int forced = ForcedWidth;
        if (forced != 0)
        {
            if (forced == 512 && Vector512<T>.IsSupported) return 512;
            if (forced == 256 && Vector256<T>.IsSupported) return 256;
            if (forced == 128 && Vector128<T>.IsSupported) return 128;
            return 1;
        }
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported) return 512;
        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported) return 256;
        if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported) return 128;
        return 1;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Compute<T>(int width, in GemmProblem<T> g, int i0, int i1, int j0, int j1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (width)
        {
            case 512: Compute<T, Kernel512<T>>(in g, i0, i1, j0, j1); break;
            case Narrow512: Compute<T, Kernel512Narrow<T>>(in g, i0, i1, j0, j1); break;
            case 256: Compute<T, Kernel256<T>>(in g, i0, i1, j0, j1); break;
            case 128: Compute<T, Kernel128<T>>(in g, i0, i1, j0, j1); break;
            default: Compute<T, KernelScalar<T>>(in g, i0, i1, j0, j1); break;
        }
    }

    /// <summary>Computes the block rows i0…i1−1, columns j0…j1−1 of C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Compute<T, TKernel>(in GemmProblem<T> g, int i0, int i1, int j0, int j1)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKernel : IGemmKernel<T>
    {
        int mr = TKernel.MR, nr = TKernel.NR;
        int k = g.K;
        nint ldc = g.N;
        if (k == 0)
        {
            for (int i = i0; i < i1; i++)
            {
                T* row = g.C + i * ldc + j0;
                if (!g.Accumulate) new Span<T>(row, j1 - j0).Clear();
                if (g.Epilogue.IsActive) ApplyEpilogue(in g.Epilogue, row, ldc, i, j0, 1, j1 - j0);
            }
            return;
        }

        int kBlock = Math.Min(KBlock, k);
        int nBlock = Math.Min(NBlock, RoundUp(j1 - j0, nr));
        // Always the largest size any shape needs, so the first product on a thread sizes the
        // scratch once and no later shape has to grow it.
        nint needed = (nint)kBlock * nBlock + mr * nr + (nint)mr * kBlock;
        T* packedB = Workspace.Get<T>(Math.Max(needed, ComputeScratchElements));
        T* tile = packedB + (nint)kBlock * nBlock;
        T* edgeA = tile + mr * nr;

        for (int jc = j0; jc < j1; jc += nBlock)
        {
            int nc = Math.Min(nBlock, j1 - jc);
            int panels = (nc + nr - 1) / nr;
            for (int pc = 0; pc < k; pc += kBlock)
            {
                int kc = Math.Min(kBlock, k - pc);
                bool overwrite = pc == 0 && !g.Accumulate;
                bool last = pc + kc == k;
                bool epilogue = last && g.Epilogue.IsActive;
                PackB(in g, pc, kc, jc, nc, nr, packedB);

                // Row panels outermost: one panel of A (MR × kc) stays in L1 while the packed B
                // block streams from L2, and C is written a strip of whole rows at a time, which
                // keeps products with a short k (where C traffic dominates) streaming.
                for (int i = i0; i < i1; i += mr)
                {
                    int rows = Math.Min(mr, i1 - i);
                    T* aPanel;
                    nint rs, ps;
                    if (rows == mr)
                    {
                        aPanel = g.A + i * g.RowStrideA + pc * g.DepthStrideA;
                        rs = g.RowStrideA;
                        ps = g.DepthStrideA;
                    }
                    else
                    {
                        // The ragged last row panel is copied, zero-padded, so the kernel never reads past A.
                        PackEdgeA(in g, i, rows, pc, kc, mr, edgeA);
                        aPanel = edgeA;
                        rs = 1;
                        ps = mr;
                    }

                    for (int jp = 0; jp < panels; jp++)
                    {
                        int j = jc + jp * nr;
                        int cols = Math.Min(nr, jc + nc - j);
                        T* bPanel = packedB + (nint)jp * kc * nr;
                        T* cTile = g.C + i * ldc + j;
                        if (rows == mr && cols == nr)
                        {
                            TKernel.Run(kc, aPanel, rs, ps, bPanel, cTile, ldc, overwrite);
                        }
                        else
                        {
                            TKernel.Run(kc, aPanel, rs, ps, bPanel, tile, nr, overwrite: true);
                            StoreEdge(tile, nr, cTile, ldc, rows, cols, overwrite);
                        }
                    }
                    // The strip's bias and activation once all its tiles are stored. Run per tile, straight after the
                    // kernel's stores, a bias alone cost twice as much (2048×128 by 512 on one thread: 145 against 90 µs
                    // over the plain product's 1240).
                    if (epilogue) ApplyEpilogue(in g.Epilogue, g.C + i * ldc + jc, ldc, i, jc, rows, nc);
                }
            }
        }
    }

    /// <summary>
    /// Copies rows pc…pc+kc−1, columns jc…jc+nc−1 of op(B) into panels of <paramref name="nr"/>
    /// columns, each stored k-major (kc × nr) and zero-padded to full width.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackB<T>(in GemmProblem<T> g, int pc, int kc, int jc, int nc, int nr, T* dst)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        nint ldb = g.TransB ? g.K : g.N;
        for (int j = 0; j < nc; j += nr)
        {
            int cols = Math.Min(nr, nc - j);
            if (!g.TransB)
            {
                T* src = g.B + pc * ldb + jc + j;
                if (cols == nr)
                {
                    // B's rows lie a row stride apart (4 KiB for a 1024-wide layer), too far for the hardware to see a
                    // stream in 128 bytes per row: each row is asked for PackAheadRows rows ahead. See PackAheadRows.
                    nint ahead = PackAheadRows * ldb;
                    bool prefetch = Sse.IsSupported;
                    for (int p = 0; p < kc; p++, src += ldb, dst += nr)
                    {
                        if (prefetch && p + PackAheadRows < kc)
                        {
                            for (int b = 0; b < nr * sizeof(T); b += 64) Sse.Prefetch0((byte*)(src + ahead) + b);
                        }
                        Unsafe.CopyBlockUnaligned(dst, src, (uint)(nr * sizeof(T)));
                    }
                }
                else
                {
                    new Span<T>(dst, kc * nr).Clear();
                    for (int p = 0; p < kc; p++, src += ldb, dst += nr)
                        for (int q = 0; q < cols; q++) dst[q] = src[q];
                }
            }
            else
            {
                // Column j of op(B) is row j of the stored B, contiguous in k: interleave nr rows.
                T* src = g.B + (jc + j) * ldb + pc;
                Interleave(src, ldb, cols, kc, nr, dst);
                dst += (nint)kc * nr;
            }
        }
    }

    /// <summary>The last, partial row panel of A (rows i…i+rows−1), zero-padded to <paramref name="mr"/> rows, k-major.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackEdgeA<T>(in GemmProblem<T> g, int i, int rows, int pc, int kc, int mr, T* dst)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* src = g.A + i * g.RowStrideA + pc * g.DepthStrideA;
        for (int p = 0; p < kc; p++)
        {
            T* s = src + p * g.DepthStrideA;
            T* d = dst + (nint)p * mr;
            int r = 0;
            for (; r < rows; r++) d[r] = s[r * g.RowStrideA];
            for (; r < mr; r++) d[r] = T.Zero;
        }
    }

    /// <summary>
    /// Writes <c>dst[p·width + r] = src[r·ld + p]</c> for r &lt; rows, p &lt; depth, and zero for
    /// the padding rows rows…width−1: a row-major block turned k-major.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Interleave<T>(T* src, nint ld, int rows, int depth, int width, T* dst)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int r = 0;
        if (typeof(T) == typeof(float) && Avx.IsSupported)
        {
            // 8×8 register transposes: about a quarter of the scalar loop's cost, which matters
            // for dz·Wᵀ with a small batch, where packing Wᵀ is a sizeable share of the work.
            for (; r + 8 <= rows; r += 8)
            {
                float* s0 = (float*)src + r * ld;
                float* d = (float*)dst + r;
                int p = 0;
                for (; p + 8 <= depth; p += 8) Transpose8x8(s0 + p, ld, d + (nint)p * width, width);
                for (; p < depth; p++)
                {
                    float* column = s0 + p;
                    float* dp = d + (nint)p * width;
                    for (int q = 0; q < 8; q++) dp[q] = column[q * ld];
                }
            }
        }
        // Four source rows per pass keep four read streams and one write stream in flight.
        for (; r + 4 <= rows; r += 4)
        {
            T* s0 = src + r * ld, s1 = s0 + ld, s2 = s1 + ld, s3 = s2 + ld;
            T* d = dst + r;
            for (int p = 0; p < depth; p++, d += width)
            {
                d[0] = s0[p];
                d[1] = s1[p];
                d[2] = s2[p];
                d[3] = s3[p];
            }
        }
        for (; r < rows; r++)
        {
            T* s = src + r * ld;
            T* d = dst + r;
            for (int p = 0; p < depth; p++, d += width) *d = s[p];
        }
        if (rows < width)
        {
            for (int p = 0; p < depth; p++)
                new Span<T>(dst + (nint)p * width + rows, width - rows).Clear();
        }
    }

    /// <summary>Writes the transpose of the 8×8 block at <paramref name="src"/> (row stride ld) to dst (row stride ldd).</summary>
    private static void Transpose8x8(float* src, nint ld, float* dst, nint ldd)
    {
        Vector256<float> r0 = Avx.LoadVector256(src), r1 = Avx.LoadVector256(src + ld);
        Vector256<float> r2 = Avx.LoadVector256(src + 2 * ld), r3 = Avx.LoadVector256(src + 3 * ld);
        Vector256<float> r4 = Avx.LoadVector256(src + 4 * ld), r5 = Avx.LoadVector256(src + 5 * ld);
        Vector256<float> r6 = Avx.LoadVector256(src + 6 * ld), r7 = Avx.LoadVector256(src + 7 * ld);

        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
        Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5);
        Vector256<float> t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);

        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE);
        Vector256<float> u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE);
        Vector256<float> u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);

        Avx.Store(dst, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(dst + ldd, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(dst + 2 * ldd, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(dst + 3 * ldd, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(dst + 4 * ldd, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(dst + 5 * ldd, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(dst + 6 * ldd, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(dst + 7 * ldd, Avx.Permute2x128(u3, u7, 0x31));
    }

    /// <summary>Moves the valid part of an edge tile into C, with the same single rounding as a full tile's store.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void StoreEdge<T>(T* tile, nint ldt, T* c, nint ldc, int rows, int cols, bool overwrite)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = 0; r < rows; r++, tile += ldt, c += ldc)
        {
            if (overwrite)
            {
                for (int j = 0; j < cols; j++) c[j] = tile[j];
            }
            else
            {
                for (int j = 0; j < cols; j++) c[j] += tile[j];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ApplyEpilogue<T>(in GemmEpilogue<T> e, T* z, nint ld, nint i, int j, int rows, int cols)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* y = e.Y + i * ld + j;
        T* bias = e.Bias == null ? null : e.Bias + j;
        ActivationKernels.BiasForwardTile(e.Activation, z, y, ld, bias, rows, cols, e.NegativeSlope);
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
}

/// <summary>One product, as the driver sees it: A is read through strides, so op(A) needs no copy.</summary>
internal unsafe struct GemmProblem<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>op(A)[i, p] is <c>A[i·RowStrideA + p·DepthStrideA]</c>.</summary>
    public T* A;
    public nint RowStrideA;
    public nint DepthStrideA;
    public T* B;
    public bool TransB;
    public T* C;
    public int N;
    public int K;
    public bool Accumulate;
    public GemmEpilogue<T> Epilogue;
}

/// <summary>A product split by blocks of rows or columns of C, one contiguous range of blocks per part.</summary>
internal sealed unsafe class GemmJob<T> : CpuParallel.Work where T : unmanaged, IFloatingPointIeee754<T>
{
    [ThreadStatic] private static GemmJob<T>? t_job;

    public GemmProblem<T> Problem;
    public int Width;
    public int M;
    public bool SplitColumns;
    public int BlockSize;
    public int Blocks;
    public int Parts;

    /// <summary>Each calling thread owns one job, so two threads' products never share one.</summary>
    public static GemmJob<T> ForThisThread() => t_job ??= new GemmJob<T>();

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Execute(int part)
    {
        int first = (int)((long)Blocks * part / Parts);
        int end = (int)((long)Blocks * (part + 1) / Parts);
        if (SplitColumns)
        {
            int j0 = first * BlockSize, j1 = Math.Min(Problem.N, end * BlockSize);
            GemmCore.Compute(Width, in Problem, 0, M, j0, j1);
        }
        else
        {
            int i0 = first * BlockSize, i1 = Math.Min(M, end * BlockSize);
            GemmCore.Compute(Width, in Problem, i0, i1, 0, Problem.N);
        }
    }
}
