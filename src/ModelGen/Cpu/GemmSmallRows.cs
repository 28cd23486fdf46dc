using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelGen.Cpu;

/// <summary>
/// The vector operations the small-row product and the direct convolution need, for one vector width, so that one body of code
/// serves 512-bit and 256-bit machines (the struct type arguments make the JIT specialise it per width).
/// </summary>
internal unsafe interface ILanes<T, TVector> where T : unmanaged, IFloatingPointIeee754<T> where TVector : unmanaged
{
    static abstract int Count { get; }
    static abstract TVector Load(T* source);
    static abstract void Store(TVector value, T* destination);
    static abstract TVector Broadcast(T value);
    static abstract TVector MulAdd(TVector a, TVector b, TVector c);
    static abstract TVector Add(TVector a, TVector b);
    static abstract T Sum(TVector value);
}

internal readonly unsafe struct Lanes512<T> : ILanes<T, Vector512<T>> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Count => Vector512<T>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Load(T* source) => Vector512.Load(source);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector512<T> value, T* destination) => Vector512.Store(value, destination);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Broadcast(T value) => Vector512.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> MulAdd(Vector512<T> a, Vector512<T> b, Vector512<T> c) => ModelGen.Cpu.MulAdd.Of(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Add(Vector512<T> a, Vector512<T> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Sum(Vector512<T> value) => Vector512.Sum(value);
}

internal readonly unsafe struct Lanes256<T> : ILanes<T, Vector256<T>> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Count => Vector256<T>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Load(T* source) => Vector256.Load(source);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector256<T> value, T* destination) => Vector256.Store(value, destination);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Broadcast(T value) => Vector256.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> MulAdd(Vector256<T> a, Vector256<T> b, Vector256<T> c) => ModelGen.Cpu.MulAdd.Of(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Add(Vector256<T> a, Vector256<T> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Sum(Vector256<T> value) => Vector256.Sum(value);
}

/// <summary>
/// <c>C (+)= A·B</c> for a few rows of A (a single request, a small batch), reading B where it lies: no packing,
/// no worker threads. With one row, packing B would copy the whole weight matrix to read it once; here every
/// element of B is read once per group of four rows, straight from the layer's weights.
/// </summary>
/// <remarks>
/// Each element of C is the same multiply-add chain as in the blocked driver (<see cref="GemmCore"/>): ascending k,
/// restarted every <see cref="GemmCore.KBlock"/> values and added to C at each restart, fused exactly when the
/// driver's kernels fuse. The results are therefore bit-identical to the packed path, and the epilogue runs on the
/// same column chunks as the driver's tiles.
/// </remarks>
internal static unsafe class GemmSmallRows
{
    /// <summary>Products with at most this many rows take this path (row-major A and B, k &gt; 0).</summary>
    public const int RowLimit = 8;

    /// <summary>Columns per part when a product is split across threads: a multiple of every kernel's tile width.</summary>
    internal const int ColumnsPerPart = 128;

    /// <summary>
    /// Weights (k·n elements, 1 MiB of float) from which a product is split across threads: reading them takes tens of
    /// microseconds, more than a worker's hand-off (about 10–15 µs); smaller ones stay on the calling thread.
    /// </summary>
    internal const long ParallelWeightElements = 1L << 18;

    /// <summary>
    /// Partial sums (k-blocks × m × n elements, 1 MiB of float) up to which a split product divides the depth rather than
    /// the columns; a deeper or wider one keeps the column split.
    /// </summary>
    internal const long DepthSplitPartialElements = 1L << 18;

    /// <summary>
    /// Computes C for <paramref name="m"/> ≤ <see cref="RowLimit"/> rows; A is m×k and B k×n, both row-major.
    /// The bias and activation run element by element, as in the driver, so the bits are the driver's. A product with large
    /// weights (a single request to a wide layer reads megabytes of them) is split across <see cref="CpuParallel"/>'s threads.
    /// </summary>
    /// <remarks>
    /// With two k-blocks or more the split divides B's rows: each thread reads one contiguous share of the weights, its
    /// k-blocks' sums go to scratch, and the calling thread adds them to C in block order afterwards, which is exactly the
    /// order one thread adds them in. Reading a contiguous share was measured faster than a share of every row (mnist-mlp's
    /// single request on two threads: 69–77 µs against 81–88 µs). A single k-block splits by columns.
    /// </remarks>
    public static void Run<T, TVector, TLanes>(int m, int n, int k, T* a, T* b, T* c, bool accumulate, in GemmEpilogue<T> epilogue)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : unmanaged
        where TLanes : ILanes<T, TVector>
    {
        long weights = (long)k * n;
        var problem = new SmallRowsProblem<T> { M = m, N = n, K = k, A = a, B = b, C = c, Accumulate = accumulate, Epilogue = epilogue };
        int threads = CpuParallel.ThreadCount;
        long threshold = GemmCore.ParallelThresholdOverride;
        // Reading B dominates (each element is used by at most RowLimit rows), so its size decides whether another core's
        // bandwidth is worth a worker's hand-off.
        bool large = threshold > 0 ? (long)m * n * k >= threshold : weights >= ParallelWeightElements;
        int parts = 1;
        T* partials = null;
        if (threads > 1 && large)
        {
            int blocks = (k + GemmCore.KBlock - 1) / GemmCore.KBlock;
            if (blocks >= 2 && (long)blocks * m * n <= DepthSplitPartialElements)
            {
                // Along k, one share per thread, so each reads one stretch of the weights.
                partials = Workspace.Get<T>((nint)blocks * m * n);
                parts = threads;
            }
            else
            {
                // By columns, a few parts per thread, as in the driver: a worker that wakes late still takes a share.
                parts = System.Math.Min(threads * 4, (n + ColumnsPerPart - 1) / ColumnsPerPart);
            }
        }
        if (parts <= 1)
        {
            Columns<T, TVector, TLanes>(in problem, 0, n);
            return;
        }
        var job = SmallRowsJob<T, TVector, TLanes>.ForThisThread();
        job.Problem = problem;
        job.Partials = partials;
        job.Parts = parts;
        CpuParallel.Run(job, parts);
        job.Problem = default;
        job.Partials = null;
        if (partials == null) return;
        AddPartials<T, TVector, TLanes>(in problem, partials);
        ApplyEpilogue(in problem, 0, n);
    }

    /// <summary>Columns j0…j1−1 of C.</summary>
    internal static void Columns<T, TVector, TLanes>(in SmallRowsProblem<T> g, int j0, int j1)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : unmanaged
        where TLanes : ILanes<T, TVector>
    {
        for (int pc = 0; pc < g.K; pc += GemmCore.KBlock)
            RowsOverBlock<T, TVector, TLanes>(in g, pc, System.Math.Min(GemmCore.KBlock, g.K - pc), j0, j1, g.C, overwrite: pc == 0 && !g.Accumulate);
        ApplyEpilogue(in g, j0, j1);
    }

    /// <summary>
    /// Share <paramref name="part"/> of <paramref name="parts"/> of a product split along k: an equal stretch of B's
    /// (k-block, column) pairs in memory order. Each k-block's sums, from zero, go to its slot of
    /// <paramref name="partials"/> (m×n, row stride n), or straight to C for the first block when C is overwritten.
    /// </summary>
    internal static void DepthShare<T, TVector, TLanes>(in SmallRowsProblem<T> g, T* partials, int part, int parts)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : unmanaged
        where TLanes : ILanes<T, TVector>
    {
        int m = g.M, n = g.N, k = g.K;
        long total = (long)k * n, from = total * part / parts, to = total * (part + 1) / parts;
        // Shares meet at a whole number of cache lines' worth of columns, so where C's rows start on lines no line is
        // written by two threads.
        int line = 64 / sizeof(T);
        for (int pc = 0; pc < k; pc += GemmCore.KBlock)
        {
            int kc = System.Math.Min(GemmCore.KBlock, k - pc);
            long start = (long)pc * n, end = start + (long)kc * n;
            if (end <= from || start >= to) continue;
            // Both ends come from the same formula, so neighbouring shares meet exactly.
            int j0 = from <= start ? 0 : (int)((from - start) / kc) / line * line;
            int j1 = to >= end ? n : (int)((to - start) / kc) / line * line;
            if (j1 <= j0) continue;
            T* dest = pc == 0 && !g.Accumulate ? g.C : partials + (nint)(pc / GemmCore.KBlock) * m * n;
            RowsOverBlock<T, TVector, TLanes>(in g, pc, kc, j0, j1, dest, overwrite: true);
        }
    }

    /// <summary>Rows 0…m−1 of C (or of a block's partial sums, laid out as C) over the k-block at <paramref name="pc"/>, columns j0…j1−1.</summary>
    private static void RowsOverBlock<T, TVector, TLanes>(in SmallRowsProblem<T> g, int pc, int kc, int j0, int j1, T* dest, bool overwrite)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : unmanaged
        where TLanes : ILanes<T, TVector>
    {
        int m = g.M, n = g.N, k = g.K, cols = j1 - j0;
        T* bBlock = g.B + (nint)pc * n + j0;
        int i = 0;
        for (; i + 4 <= m; i += 4)
            FourRows<T, TVector, TLanes>(cols, n, k, kc, g.A + (nint)i * k + pc, bBlock, dest + (nint)i * n + j0, overwrite);
        // Weights as large as those that split across threads come from beyond L2 on every call.
        bool streaming = (long)k * n >= ParallelWeightElements;
        for (; i < m; i++)
        {
            if (streaming) OneRowStreaming<T, TVector, TLanes>(cols, n, kc, g.A + (nint)i * k + pc, bBlock, dest + (nint)i * n + j0, overwrite);
            else OneRowInRegisters<T, TVector, TLanes>(cols, n, kc, g.A + (nint)i * k + pc, bBlock, dest + (nint)i * n + j0, overwrite);
        }
    }

    /// <summary>Adds the k-blocks' partial sums to C in block order (from the second block when the first was stored in C), each add the driver's <c>sums + C</c>.</summary>
    private static void AddPartials<T, TVector, TLanes>(in SmallRowsProblem<T> g, T* partials)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : unmanaged
        where TLanes : ILanes<T, TVector>
    {
        int blocks = (g.K + GemmCore.KBlock - 1) / GemmCore.KBlock, w = TLanes.Count;
        int elements = g.M * g.N;
        for (int blk = g.Accumulate ? 0 : 1; blk < blocks; blk++)
        {
            T* sums = partials + (nint)blk * elements, c = g.C;
            int x = 0;
            for (; x + w <= elements; x += w) TLanes.Store(TLanes.Add(TLanes.Load(sums + x), TLanes.Load(c + x)), c + x);
            for (; x < elements; x++) c[x] = sums[x] + c[x];
        }
    }

    /// <summary>Bias and activation on columns j0…j1−1 of every row, once C holds its sums.</summary>
    private static void ApplyEpilogue<T>(in SmallRowsProblem<T> g, int j0, int j1) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!g.Epilogue.IsActive) return;
        T* bias = g.Epilogue.Bias == null ? null : g.Epilogue.Bias + j0;
        ActivationKernels.BiasForwardTile(g.Epilogue.Activation, g.C + j0, g.Epilogue.Y + j0, g.N, bias, g.M, j1 - j0, g.Epilogue.NegativeSlope);
    }

    /// <summary>One row of C over one block of k, for weights small enough to stay cached: eight vectors of columns at a time, eight independent chains in flight, then four.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void OneRowInRegisters<T, TVector, TLanes>(int n, nint ldb, int kc, T* a, T* b, T* c, bool overwrite)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : unmanaged
        where TLanes : ILanes<T, TVector>
    {
        int w = TLanes.Count, j = 0;
        for (; j + 8 * w <= n; j += 8 * w)
        {
            TVector s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
            T* bp = b + j;
            for (int p = 0; p < kc; p++, bp += ldb)
            {
                TVector x = TLanes.Broadcast(a[p]);
                s0 = TLanes.MulAdd(x, TLanes.Load(bp), s0);
                s1 = TLanes.MulAdd(x, TLanes.Load(bp + w), s1);
                s2 = TLanes.MulAdd(x, TLanes.Load(bp + 2 * w), s2);
                s3 = TLanes.MulAdd(x, TLanes.Load(bp + 3 * w), s3);
                s4 = TLanes.MulAdd(x, TLanes.Load(bp + 4 * w), s4);
                s5 = TLanes.MulAdd(x, TLanes.Load(bp + 5 * w), s5);
                s6 = TLanes.MulAdd(x, TLanes.Load(bp + 6 * w), s6);
                s7 = TLanes.MulAdd(x, TLanes.Load(bp + 7 * w), s7);
            }
            T* cj = c + j;
            Put<T, TVector, TLanes>(cj, s0, overwrite); Put<T, TVector, TLanes>(cj + w, s1, overwrite);
            Put<T, TVector, TLanes>(cj + 2 * w, s2, overwrite); Put<T, TVector, TLanes>(cj + 3 * w, s3, overwrite);
            Put<T, TVector, TLanes>(cj + 4 * w, s4, overwrite); Put<T, TVector, TLanes>(cj + 5 * w, s5, overwrite);
            Put<T, TVector, TLanes>(cj + 6 * w, s6, overwrite); Put<T, TVector, TLanes>(cj + 7 * w, s7, overwrite);
        }
        for (; j + 4 * w <= n; j += 4 * w)
        {
            TVector s0 = default, s1 = default, s2 = default, s3 = default;
            T* bp = b + j;
            for (int p = 0; p < kc; p++, bp += ldb)
            {
                TVector x = TLanes.Broadcast(a[p]);
                s0 = TLanes.MulAdd(x, TLanes.Load(bp), s0);
                s1 = TLanes.MulAdd(x, TLanes.Load(bp + w), s1);
                s2 = TLanes.MulAdd(x, TLanes.Load(bp + 2 * w), s2);
                s3 = TLanes.MulAdd(x, TLanes.Load(bp + 3 * w), s3);
            }
            T* cj = c + j;
            Put<T, TVector, TLanes>(cj, s0, overwrite); Put<T, TVector, TLanes>(cj + w, s1, overwrite);
            Put<T, TVector, TLanes>(cj + 2 * w, s2, overwrite); Put<T, TVector, TLanes>(cj + 3 * w, s3, overwrite);
        }
        for (; j + w <= n; j += w)
        {
            TVector s0 = default;
            T* bp = b + j;
            for (int p = 0; p < kc; p++, bp += ldb) s0 = TLanes.MulAdd(TLanes.Broadcast(a[p]), TLanes.Load(bp), s0);
            Put<T, TVector, TLanes>(c + j, s0, overwrite);
        }
        for (; j < n; j++) c[j] = Tail(kc, a, 1, b + j, ldb, overwrite ? T.Zero : c[j], overwrite);
    }

    /// <summary>Columns of one stretch of <see cref="OneRowStreaming{T, TVector, TLanes}"/> summed in a buffer on the stack (8 KiB of double).</summary>
    private const int RowStretch = 1024;

    /// <summary>
    /// One row of C over one block of k, for large weights, which come from beyond L2 on every call: each pass adds four
    /// rows of B to the sums over a whole stretch of columns, so B is read in long runs that the prefetcher streams.
    /// <see cref="OneRowInRegisters{T, TVector, TLanes}"/> walks down a block of columns instead, B's row stride at every
    /// step: one thread took 134–146 µs for mnist-mlp's single request that way against 110–120 µs this way, and at
    /// 1×256×2048 28–29 µs against 34–40. It is no faster while B stays in L2 (equal at 1×256×768) and slower in L1
    /// (1×64×128: 280 against 110 ns), where the sums' loads and stores cost more than reading B. Columns past the last
    /// whole vector keep their chain in a register. Each element stays one chain in ascending k, as in the driver.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization), SkipLocalsInit]
    private static void OneRowStreaming<T, TVector, TLanes>(int n, nint ldb, int kc, T* a, T* b, T* c, bool overwrite)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : unmanaged
        where TLanes : ILanes<T, TVector>
    {
        int w = TLanes.Count, vectorEnd = n / w * w;
        if (vectorEnd > 0)
        {
            // Adding to C takes the block's sums from zero first, as the driver's single add does.
            T* buffer = stackalloc T[overwrite ? 1 : RowStretch];
            for (int j0 = 0; j0 < vectorEnd; j0 += RowStretch)
            {
                int cols = System.Math.Min(RowStretch, vectorEnd - j0);
                T* s = overwrite ? c + j0 : buffer, bp = b + j0;
                new System.Span<T>(s, cols).Clear();
                int p = 0;
                for (; p + 4 <= kc; p += 4, bp += 4 * ldb)
                {
                    TVector x0 = TLanes.Broadcast(a[p]), x1 = TLanes.Broadcast(a[p + 1]);
                    TVector x2 = TLanes.Broadcast(a[p + 2]), x3 = TLanes.Broadcast(a[p + 3]);
                    T* b1 = bp + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
                    for (int j = 0; j < cols; j += w)
                    {
                        TVector sum = TLanes.Load(s + j);
                        sum = TLanes.MulAdd(x0, TLanes.Load(bp + j), sum);
                        sum = TLanes.MulAdd(x1, TLanes.Load(b1 + j), sum);
                        sum = TLanes.MulAdd(x2, TLanes.Load(b2 + j), sum);
                        sum = TLanes.MulAdd(x3, TLanes.Load(b3 + j), sum);
                        TLanes.Store(sum, s + j);
                    }
                }
                for (; p < kc; p++, bp += ldb)
                {
                    TVector x = TLanes.Broadcast(a[p]);
                    for (int j = 0; j < cols; j += w) TLanes.Store(TLanes.MulAdd(x, TLanes.Load(bp + j), TLanes.Load(s + j)), s + j);
                }
                if (!overwrite)
                    for (int j = 0; j < cols; j += w) Put<T, TVector, TLanes>(c + j0 + j, TLanes.Load(s + j), overwrite: false);
            }
        }
        for (int j = vectorEnd; j < n; j++) c[j] = Tail(kc, a, 1, b + j, ldb, overwrite ? T.Zero : c[j], overwrite);
    }

    /// <summary>Four rows of C (row stride <paramref name="ldb"/>, as B's) over one block of k: two vectors of columns at a time, so eight accumulators fit even AVX2's registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FourRows<T, TVector, TLanes>(int n, nint ldb, int lda, int kc, T* a, T* b, T* c, bool overwrite)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : unmanaged
        where TLanes : ILanes<T, TVector>
    {
        int w = TLanes.Count, j = 0;
        nint ldc = ldb;
        T* a1 = a + lda, a2 = a1 + lda, a3 = a2 + lda;
        for (; j + 2 * w <= n; j += 2 * w)
        {
            TVector s00 = default, s01 = default, s10 = default, s11 = default;
            TVector s20 = default, s21 = default, s30 = default, s31 = default;
            T* bp = b + j;
            for (int p = 0; p < kc; p++, bp += ldb)
            {
                TVector b0 = TLanes.Load(bp), b1 = TLanes.Load(bp + w);
                TVector x = TLanes.Broadcast(a[p]);
                s00 = TLanes.MulAdd(x, b0, s00); s01 = TLanes.MulAdd(x, b1, s01);
                x = TLanes.Broadcast(a1[p]);
                s10 = TLanes.MulAdd(x, b0, s10); s11 = TLanes.MulAdd(x, b1, s11);
                x = TLanes.Broadcast(a2[p]);
                s20 = TLanes.MulAdd(x, b0, s20); s21 = TLanes.MulAdd(x, b1, s21);
                x = TLanes.Broadcast(a3[p]);
                s30 = TLanes.MulAdd(x, b0, s30); s31 = TLanes.MulAdd(x, b1, s31);
            }
            T* cj = c + j;
            Put<T, TVector, TLanes>(cj, s00, overwrite); Put<T, TVector, TLanes>(cj + w, s01, overwrite); cj += ldc;
            Put<T, TVector, TLanes>(cj, s10, overwrite); Put<T, TVector, TLanes>(cj + w, s11, overwrite); cj += ldc;
            Put<T, TVector, TLanes>(cj, s20, overwrite); Put<T, TVector, TLanes>(cj + w, s21, overwrite); cj += ldc;
            Put<T, TVector, TLanes>(cj, s30, overwrite); Put<T, TVector, TLanes>(cj + w, s31, overwrite);
        }
        for (; j + w <= n; j += w)
        {
            TVector s0 = default, s1 = default, s2 = default, s3 = default;
            T* bp = b + j;
            for (int p = 0; p < kc; p++, bp += ldb)
            {
                TVector b0 = TLanes.Load(bp);
                s0 = TLanes.MulAdd(TLanes.Broadcast(a[p]), b0, s0);
                s1 = TLanes.MulAdd(TLanes.Broadcast(a1[p]), b0, s1);
                s2 = TLanes.MulAdd(TLanes.Broadcast(a2[p]), b0, s2);
                s3 = TLanes.MulAdd(TLanes.Broadcast(a3[p]), b0, s3);
            }
            T* cj = c + j;
            Put<T, TVector, TLanes>(cj, s0, overwrite); cj += ldc;
            Put<T, TVector, TLanes>(cj, s1, overwrite); cj += ldc;
            Put<T, TVector, TLanes>(cj, s2, overwrite); cj += ldc;
            Put<T, TVector, TLanes>(cj, s3, overwrite);
        }
        for (; j < n; j++)
        {
            T* cj = c + j;
            for (int r = 0; r < 4; r++, cj += ldc)
                *cj = Tail(kc, a + r * (nint)lda, 1, b + j, ldb, overwrite ? T.Zero : *cj, overwrite);
        }
    }

    /// <summary>Stores a block's sums, or adds them to what C holds (the driver's single rounding per block).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put<T, TVector, TLanes>(T* c, TVector sums, bool overwrite)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : unmanaged
        where TLanes : ILanes<T, TVector>
        => TLanes.Store(overwrite ? sums : TLanes.Add(sums, TLanes.Load(c)), c);

    /// <summary>A column past the last whole vector: the same chain in scalar arithmetic, then the same single store or add.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Tail<T>(int kc, T* a, nint aStride, T* b, nint bStride, T c, bool overwrite)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T s = T.Zero;
        for (int p = 0; p < kc; p++) s = ModelGen.Cpu.MulAdd.Scalar(a[p * aStride], b[p * bStride], s);
        return overwrite ? s : c + s;
    }
}

/// <summary>A small-row product as its parts see it.</summary>
internal unsafe struct SmallRowsProblem<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public int M, N, K;
    public T* A, B, C;
    public bool Accumulate;
    public GemmEpilogue<T> Epilogue;
}

/// <summary>A small-row product split by blocks of columns, one contiguous range per part, or along k (see <see cref="GemmSmallRows.DepthShare{T, TVector, TLanes}"/>).</summary>
internal sealed unsafe class SmallRowsJob<T, TVector, TLanes> : CpuParallel.Work
    where T : unmanaged, IFloatingPointIeee754<T>
    where TVector : unmanaged
    where TLanes : ILanes<T, TVector>
{
    [System.ThreadStatic] private static SmallRowsJob<T, TVector, TLanes>? t_job;

    public SmallRowsProblem<T> Problem;
    public int Parts;
    /// <summary>The k-blocks' partial sums when the product is split along k; null when it is split by columns.</summary>
    public T* Partials;

    /// <summary>Each calling thread owns one job, so two threads' products never share one.</summary>
    public static SmallRowsJob<T, TVector, TLanes> ForThisThread() => t_job ??= new SmallRowsJob<T, TVector, TLanes>();

    public override void Execute(int part)
    {
        if (Partials != null)
        {
            GemmSmallRows.DepthShare<T, TVector, TLanes>(in Problem, Partials, part, Parts);
            return;
        }
        const int unit = GemmSmallRows.ColumnsPerPart;
        int units = (Problem.N + unit - 1) / unit;
        int j0 = (int)((long)units * part / Parts) * unit;
        int j1 = System.Math.Min(Problem.N, (int)((long)units * (part + 1) / Parts) * unit);
        if (j1 > j0) GemmSmallRows.Columns<T, TVector, TLanes>(in Problem, j0, j1);
    }
}
