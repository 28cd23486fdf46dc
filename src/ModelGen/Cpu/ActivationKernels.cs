using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelGen.Cpu;

/// <summary>Element-wise activations and their derivatives, shared by every layer that has one.</summary>
public static unsafe class ActivationKernels
{
    /// <summary>√(2/π), the GELU tanh-approximation constant.</summary>
    private const double GeluC = 0.7978845608028654;

    /// <summary>The cubic coefficient of the GELU tanh approximation.</summary>
    private const double GeluA = 0.044715;

    /// <summary>Applies <paramref name="kind"/> element-wise: <c>y[i] = f(z[i])</c> (z and y may alias).</summary>
    public static void Forward<T>(Activation kind, T* z, T* y, long count, T negativeSlope)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported && kind is Activation.None or Activation.ReLU or Activation.LeakyReLU)
        {
            i = ForwardVector(kind, z, y, count, negativeSlope);
            if (i == count) return;
        }
        if (kind == Activation.GELU && typeof(T) == typeof(float) && VectorExp.IsAccelerated)
        {
            ActivationJob.Run(ActivationJob.Mode.GeluForward, kind, (float*)z, (float*)y, null, null, count, 0f);
            return;
        }
        if (kind == Activation.GELU && HasVectorExp<T>())
        {
            GeluForwardVector(z, y, count);
            return;
        }
        switch (kind)
        {
            case Activation.None: for (; i < count; i++) y[i] = z[i]; break;
            case Activation.ReLU: for (; i < count; i++) y[i] = z[i] > T.Zero ? z[i] : T.Zero; break;
            case Activation.LeakyReLU: for (; i < count; i++) y[i] = z[i] > T.Zero ? z[i] : z[i] * negativeSlope; break;
            case Activation.GELU: for (; i < count; i++) y[i] = Apply(Activation.GELU, z[i], negativeSlope); break;
            case Activation.SiLU: for (; i < count; i++) y[i] = Apply(Activation.SiLU, z[i], negativeSlope); break;
            case Activation.Sigmoid: for (; i < count; i++) y[i] = Sigmoid(z[i]); break;
            case Activation.Tanh: for (; i < count; i++) y[i] = T.Tanh(z[i]); break;
            case Activation.GELUExact: for (; i < count; i++) y[i] = Apply(Activation.GELUExact, z[i], negativeSlope); break;
            default: throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown activation.");
        }
    }

    /// <summary>
    /// <c>z[j] += bias[j]</c> (when bias is not null), then <c>y[j] = f(z[j])</c>, for one row:
    /// the dense layer's epilogue, run on each tile of z right after the GEMM produced it.
    /// </summary>
    internal static void BiasForward<T>(Activation kind, T* z, T* y, T* bias, int count, T negativeSlope)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (kind == Activation.GELU && typeof(T) == typeof(float) && VectorExp.IsAccelerated)
        {
            GeluForwardFloat((float*)z, (float*)y, (float*)bias, count);
            return;
        }
        bool vectors = Vector.IsHardwareAccelerated && Vector<T>.IsSupported;
        if (!vectors || kind is not (Activation.None or Activation.ReLU or Activation.LeakyReLU))
        {
            if (bias != null) ElementwiseKernels.AddInto(bias, z, count);
            if (z != y || kind != Activation.None) Forward(kind, z, y, count, negativeSlope);
            return;
        }

        int w = Vector<T>.Count, j = 0;
        var slope = new Vector<T>(negativeSlope);
        bool store = z != y || kind != Activation.None;
        for (; j <= count - w; j += w)
        {
            var v = Vector.Load(z + j);
            if (bias != null)
            {
                v += Vector.Load(bias + j);
                Vector.Store(v, z + j);
            }
            if (store) Vector.Store(ActivateVector(kind, v, slope), y + j);
        }
        for (; j < count; j++)
        {
            T v = z[j];
            if (bias != null)
            {
                v += bias[j];
                z[j] = v;
            }
            if (store) y[j] = Apply(kind, v, negativeSlope);
        }
    }

    /// <summary>
    /// <see cref="BiasForward"/> over <paramref name="rows"/> rows, <paramref name="ld"/> apart: the product's epilogue, one
    /// call per strip of rows. For float on hardware vectors the common activations run in one loop over the strip, with the
    /// same operations lane by lane (so the same bits) as the row form; other cases go row by row.
    /// </summary>
    internal static void BiasForwardTile<T>(Activation kind, T* z, T* y, nint ld, T* bias, int rows, int count, T negativeSlope)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float) && (Vector512.IsHardwareAccelerated || Vector256.IsHardwareAccelerated))
        {
            float* zf = (float*)z, yf = (float*)y, bf = (float*)bias;
            float slope = float.CreateTruncating(negativeSlope);
            switch (kind)
            {
                case Activation.None: FloatTile<Identity>(kind, zf, yf, ld, bf, rows, count, slope); return;
                case Activation.ReLU: FloatTile<Rectifier>(kind, zf, yf, ld, bf, rows, count, slope); return;
                case Activation.LeakyReLU: FloatTile<LeakyRectifier>(kind, zf, yf, ld, bf, rows, count, slope); return;
                case Activation.GELU: FloatTile<Gelu>(kind, zf, yf, ld, bf, rows, count, slope); return;
            }
        }
        for (int r = 0; r < rows; r++, z += ld, y += ld) BiasForward(kind, z, y, bias, count, negativeSlope);
    }

    /// <summary>One activation on whole float vectors of either width, lane by lane.</summary>
    private interface IFloatActivation
    {
        static abstract Vector512<float> Apply(Vector512<float> z, Vector512<float> slope);
        static abstract Vector256<float> Apply(Vector256<float> z, Vector256<float> slope);
    }

    private readonly struct Identity : IFloatActivation
    {
        public static Vector512<float> Apply(Vector512<float> z, Vector512<float> slope) => z;
        public static Vector256<float> Apply(Vector256<float> z, Vector256<float> slope) => z;
    }

    private readonly struct Rectifier : IFloatActivation
    {
        public static Vector512<float> Apply(Vector512<float> z, Vector512<float> slope) => Vector512.ConditionalSelect(Vector512.GreaterThan(z, Vector512<float>.Zero), z, Vector512<float>.Zero);
        public static Vector256<float> Apply(Vector256<float> z, Vector256<float> slope) => Vector256.ConditionalSelect(Vector256.GreaterThan(z, Vector256<float>.Zero), z, Vector256<float>.Zero);
    }

    private readonly struct LeakyRectifier : IFloatActivation
    {
        public static Vector512<float> Apply(Vector512<float> z, Vector512<float> slope) => Vector512.ConditionalSelect(Vector512.GreaterThan(z, Vector512<float>.Zero), z, z * slope);
        public static Vector256<float> Apply(Vector256<float> z, Vector256<float> slope) => Vector256.ConditionalSelect(Vector256.GreaterThan(z, Vector256<float>.Zero), z, z * slope);
    }

    private readonly struct Gelu : IFloatActivation
    {
        public static Vector512<float> Apply(Vector512<float> z, Vector512<float> slope) => z * GeluGate(z);
        public static Vector256<float> Apply(Vector256<float> z, Vector256<float> slope) => z * GeluGate(z);
    }

    /// <summary>
    /// <c>z += bias</c> and <c>y = f(z)</c> over a strip of rows, a vector at a time along each row; a row's last values, short of a
    /// vector, go through <see cref="BiasForward"/> (<paramref name="kind"/> is the activation <typeparamref name="TActivation"/>
    /// applies). With no activation and z = y only the bias is added.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FloatTile<TActivation>(Activation kind, float* z, float* y, nint ld, float* bias, int rows, int count, float negativeSlope)
        where TActivation : struct, IFloatActivation
    {
        bool store = z != y || kind != Activation.None;
        int w = Vector512.IsHardwareAccelerated ? 16 : 8;
        int whole = count - count % w;
        var slope512 = Vector512.Create(negativeSlope);
        var slope256 = Vector256.Create(negativeSlope);
        for (int r = 0; r < rows; r++, z += ld, y += ld)
        {
            for (int j = 0; j < whole; j += w)
            {
                if (Vector512.IsHardwareAccelerated)
                {
                    var v = Vector512.Load(z + j);
                    if (bias != null)
                    {
                        v += Vector512.Load(bias + j);
                        Vector512.Store(v, z + j);
                    }
                    if (store) Vector512.Store(TActivation.Apply(v, slope512), y + j);
                }
                else
                {
                    var v = Vector256.Load(z + j);
                    if (bias != null)
                    {
                        v += Vector256.Load(bias + j);
                        Vector256.Store(v, z + j);
                    }
                    if (store) Vector256.Store(TActivation.Apply(v, slope256), y + j);
                }
            }
            if (whole < count) BiasForward(kind, z + whole, y + whole, bias == null ? null : bias + whole, count - whole, negativeSlope);
        }
    }

    /// <summary>The vectorisable activations over the whole vectors of a buffer; returns the index where the scalar tail starts.</summary>
    private static long ForwardVector<T>(Activation kind, T* z, T* y, long count, T negativeSlope)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = Vector<T>.Count;
        var slope = new Vector<T>(negativeSlope);
        long i = 0;
        for (; i <= count - w; i += w) Vector.Store(ActivateVector(kind, Vector.Load(z + i), slope), y + i);
        return i;
    }

    /// <summary>ReLU and LeakyReLU as selects on <c>z &gt; 0</c>, exactly the scalar formulas (NaN and −0 map as in <see cref="Apply"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<T> ActivateVector<T>(Activation kind, Vector<T> z, Vector<T> slope)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (kind == Activation.None) return z;
        var positive = Vector.GreaterThan(z, Vector<T>.Zero);
        return kind == Activation.ReLU
            ? Vector.ConditionalSelect(positive, z, Vector<T>.Zero)
            : Vector.ConditionalSelect(positive, z, z * slope);
    }

    /// <summary>
    /// Back-propagates through <paramref name="kind"/>: <c>dz[i] = dy[i]·f'(z[i])</c>, using the
    /// pre-activation <paramref name="z"/> and the output <paramref name="y"/> (dy and dz may alias).
    /// </summary>
    public static void Backward<T>(Activation kind, T* z, T* y, T* dy, T* dz, long count, T negativeSlope)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (kind is Activation.None or Activation.ReLU or Activation.LeakyReLU)
        {
            if (typeof(T) == typeof(float) && Vector.IsHardwareAccelerated)
                ActivationJob.Run(ActivationJob.Mode.PiecewiseBackward, kind, (float*)z, null, (float*)dy, (float*)dz, count, float.CreateTruncating(negativeSlope));
            else
                PiecewiseBackward(kind, z, dy, dz, count, negativeSlope);
            return;
        }
        if (kind == Activation.GELU && typeof(T) == typeof(float) && VectorExp.IsAccelerated)
        {
            ActivationJob.Run(ActivationJob.Mode.GeluBackward, kind, (float*)z, null, (float*)dy, (float*)dz, count, 0f);
            return;
        }
        if (kind == Activation.GELU && HasVectorExp<T>())
        {
            GeluBackwardVector(z, dy, dz, count);
            return;
        }
        long i = 0;
        switch (kind)
        {
            case Activation.GELU: for (; i < count; i++) dz[i] = dy[i] * Derivative(Activation.GELU, z[i], y[i], negativeSlope); break;
            case Activation.SiLU: for (; i < count; i++) dz[i] = dy[i] * Derivative(Activation.SiLU, z[i], y[i], negativeSlope); break;
            case Activation.Sigmoid: for (; i < count; i++) dz[i] = dy[i] * (y[i] * (T.One - y[i])); break;
            case Activation.Tanh: for (; i < count; i++) dz[i] = dy[i] * (T.One - y[i] * y[i]); break;
            case Activation.GELUExact: for (; i < count; i++) dz[i] = dy[i] * Derivative(Activation.GELUExact, z[i], y[i], negativeSlope); break;
            default: throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown activation.");
        }
    }

    /// <summary>Whether <see cref="Vector"/> has an exponential for T (float and double), which the vector GELU needs.</summary>
    private static bool HasVectorExp<T>() where T : unmanaged, IFloatingPointIeee754<T>
        => Vector.IsHardwareAccelerated && (typeof(T) == typeof(float) || typeof(T) == typeof(double));

    /// <summary>σ(2u) for the GELU tanh approximation, <c>u = c·(z + a·z³)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<T> GeluGate<T>(Vector<T> z) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var twoU = new Vector<T>(T.CreateTruncating(2 * GeluC)) * (z + new Vector<T>(T.CreateTruncating(GeluA)) * z * z * z);
        return Vector<T>.One / (Vector<T>.One + VectorExp.Exp(-twoU));
    }

    /// <summary>
    /// GELU (tanh approximation) as <c>z·σ(2u)</c> a vector at a time. The tail goes through the same
    /// vector code on a zero-padded copy, so an element's result does not depend on where a buffer
    /// (or a GEMM tile calling this per row) starts or ends.
    /// </summary>
    private static void GeluForwardVector<T>(T* z, T* y, long count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = Vector<T>.Count;
        long i = 0;
        for (; i <= count - w; i += w)
        {
            var v = Vector.Load(z + i);
            Vector.Store(v * GeluGate(v), y + i);
        }
        if (i == count) return;
        int rest = (int)(count - i);
        T* pad = stackalloc T[w];
        new Span<T>(pad, w).Clear();
        new ReadOnlySpan<T>(z + i, rest).CopyTo(new Span<T>(pad, w));
        var last = Vector.Load(pad);
        Vector.Store(last * GeluGate(last), pad);
        new ReadOnlySpan<T>(pad, rest).CopyTo(new Span<T>(y + i, rest));
    }

    /// <summary><c>dz = dy·f'(z)</c> for GELU with <c>f' = s + z·s·(1 − s)·2c·(1 + 3a·z²)</c>, s = σ(2u); the tail as in <see cref="GeluForwardVector"/>.</summary>
    private static void GeluBackwardVector<T>(T* z, T* dy, T* dz, long count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = Vector<T>.Count;
        long i = 0;
        for (; i <= count - w; i += w) Vector.Store(Vector.Load(dy + i) * GeluSlope(Vector.Load(z + i)), dz + i);
        if (i == count) return;
        int rest = (int)(count - i);
        T* pad = stackalloc T[2 * w];
        new Span<T>(pad, 2 * w).Clear();
        new ReadOnlySpan<T>(z + i, rest).CopyTo(new Span<T>(pad, w));
        new ReadOnlySpan<T>(dy + i, rest).CopyTo(new Span<T>(pad + w, w));
        Vector.Store(Vector.Load(pad + w) * GeluSlope(Vector.Load(pad)), pad);
        new ReadOnlySpan<T>(pad, rest).CopyTo(new Span<T>(dz + i, rest));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<T> GeluSlope<T>(Vector<T> z) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var s = GeluGate(z);
        var chain = new Vector<T>(T.CreateTruncating(2 * GeluC)) * (Vector<T>.One + new Vector<T>(T.CreateTruncating(3 * GeluA)) * z * z);
        return s + z * s * (Vector<T>.One - s) * chain;
    }

    // float GELU on the widest hardware vector. The 512-bit and 256-bit forms run the same operations lane by lane,
    // so an element gets the same bits in the body, in the padded 256-bit tail, and in Apply/Derivative.

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> GeluGate(Vector512<float> z)
    {
        var twoU = Vector512.Create((float)(2 * GeluC)) * Vector512.FusedMultiplyAdd(Vector512.Create((float)GeluA) * z * z, z, z);
        return Vector512<float>.One / (Vector512<float>.One + VectorExp.Exp(-twoU));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> GeluGate(Vector256<float> z)
    {
        var twoU = Vector256.Create((float)(2 * GeluC)) * Vector256.FusedMultiplyAdd(Vector256.Create((float)GeluA) * z * z, z, z);
        return Vector256<float>.One / (Vector256<float>.One + VectorExp.Exp(-twoU));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> GeluSlope(Vector512<float> z)
    {
        var s = GeluGate(z);
        var chain = Vector512.Create((float)(2 * GeluC)) * Vector512.FusedMultiplyAdd(Vector512.Create((float)(3 * GeluA)) * z, z, Vector512<float>.One);
        return Vector512.FusedMultiplyAdd(z * s * (Vector512<float>.One - s), chain, s);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> GeluSlope(Vector256<float> z)
    {
        var s = GeluGate(z);
        var chain = Vector256.Create((float)(2 * GeluC)) * Vector256.FusedMultiplyAdd(Vector256.Create((float)(3 * GeluA)) * z, z, Vector256<float>.One);
        return Vector256.FusedMultiplyAdd(z * s * (Vector256<float>.One - s), chain, s);
    }

    /// <summary><c>z[j] += bias[j]</c> (bias may be null), <c>y[j] = GELU(z[j])</c>; the tail through a padded 256-bit vector.</summary>
    private static void GeluForwardFloat(float* z, float* y, float* bias, long count)
    {
        long i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= count - 16; i += 16)
            {
                var v = Vector512.Load(z + i);
                if (bias != null)
                {
                    v += Vector512.Load(bias + i);
                    Vector512.Store(v, z + i);
                }
                Vector512.Store(v * GeluGate(v), y + i);
            }
        }
        for (; i <= count - 8; i += 8)
        {
            var v = Vector256.Load(z + i);
            if (bias != null)
            {
                v += Vector256.Load(bias + i);
                Vector256.Store(v, z + i);
            }
            Vector256.Store(v * GeluGate(v), y + i);
        }
        if (i == count) return;
        int rest = (int)(count - i);
        float* pad = stackalloc float[16];
        new Span<float>(pad, 16).Clear();
        new ReadOnlySpan<float>(z + i, rest).CopyTo(new Span<float>(pad, 8));
        if (bias != null) new ReadOnlySpan<float>(bias + i, rest).CopyTo(new Span<float>(pad + 8, 8));
        var last = Vector256.Load(pad);
        if (bias != null)
        {
            last += Vector256.Load(pad + 8);
            Vector256.Store(last, pad + 8);
            new ReadOnlySpan<float>(pad + 8, rest).CopyTo(new Span<float>(z + i, rest));
        }
        Vector256.Store(last * GeluGate(last), pad);
        new ReadOnlySpan<float>(pad, rest).CopyTo(new Span<float>(y + i, rest));
    }

    /// <summary><c>dz[j] = dy[j]·GELU'(z[j])</c> (dy and dz may alias); the tail through a padded 256-bit vector.</summary>
    private static void GeluBackwardFloat(float* z, float* dy, float* dz, long count)
    {
        long i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= count - 16; i += 16) Vector512.Store(Vector512.Load(dy + i) * GeluSlope(Vector512.Load(z + i)), dz + i);
        }
        for (; i <= count - 8; i += 8) Vector256.Store(Vector256.Load(dy + i) * GeluSlope(Vector256.Load(z + i)), dz + i);
        if (i == count) return;
        int rest = (int)(count - i);
        float* pad = stackalloc float[16];
        new Span<float>(pad, 16).Clear();
        new ReadOnlySpan<float>(z + i, rest).CopyTo(new Span<float>(pad, 8));
        new ReadOnlySpan<float>(dy + i, rest).CopyTo(new Span<float>(pad + 8, 8));
        Vector256.Store(Vector256.Load(pad + 8) * GeluSlope(Vector256.Load(pad)), pad);
        new ReadOnlySpan<float>(pad, rest).CopyTo(new Span<float>(dz + i, rest));
    }

    /// <summary>
    /// A whole buffer's float GELU (forward or backward) or piecewise-linear backward split across <see cref="CpuParallel"/>'s
    /// threads when it is large enough, one contiguous share of whole chunks per thread (so a thread mostly reads rows it
    /// wrote, when the product before was split by rows); each element is computed alone, so the split never changes a bit.
    /// The piecewise-linear backward is bound by memory, not arithmetic, but ran on one thread between the products of a
    /// backward pass while the other waited: mnist-mlp's two ReLU backward passes (256 × 1024 each).
    /// </summary>
    private sealed class ActivationJob : CpuParallel.Work
    {
        public enum Mode { GeluForward, GeluBackward, PiecewiseBackward }

        // 64 KiB of floats: the least worth a hand-off, and a multiple of every vector width.
        private const long Chunk = 16384;
        [ThreadStatic] private static ActivationJob? t_job;

        private float* _z, _y, _dy, _dz;
        private long _count, _chunks;
        private int _parts;
        private Mode _mode;
        private Activation _kind;
        private float _negativeSlope;

        public static void Run(Mode mode, Activation kind, float* z, float* y, float* dy, float* dz, long count, float negativeSlope)
        {
            if (count < 2 * Chunk || CpuParallel.ThreadCount == 1)
            {
                Execute(mode, kind, z, y, dy, dz, count, negativeSlope);
                return;
            }
            var job = t_job ??= new ActivationJob();
            job._z = z; job._y = y; job._dy = dy; job._dz = dz; job._count = count;
            job._mode = mode; job._kind = kind; job._negativeSlope = negativeSlope;
            job._chunks = (count + Chunk - 1) / Chunk;
            job._parts = (int)Math.Min(CpuParallel.ThreadCount, job._chunks);
            CpuParallel.Run(job, job._parts);
            job._z = job._y = job._dy = job._dz = null;
        }

        public override void Execute(int part)
        {
            long start = _chunks * part / _parts * Chunk, length = Math.Min(_chunks * (part + 1) / _parts * Chunk, _count) - start;
            Execute(_mode, _kind, _z + start, _y == null ? null : _y + start, _dy == null ? null : _dy + start, _dz == null ? null : _dz + start, length, _negativeSlope);
        }

        private static void Execute(Mode mode, Activation kind, float* z, float* y, float* dy, float* dz, long count, float negativeSlope)
        {
            switch (mode)
            {
                case Mode.GeluForward: GeluForwardFloat(z, y, null, count); break;
                case Mode.GeluBackward: GeluBackwardFloat(z, dy, dz, count); break;
                default: PiecewiseBackward(kind, z, dy, dz, count, negativeSlope); break;
            }
        }
    }

    /// <summary>
    /// <c>dz = dy·f'(z)</c> for the piecewise-linear activations (None, ReLU, LeakyReLU): whole vectors, then the rest
    /// one by one with the same formula, so every element gets the same bits wherever a range starts.
    /// </summary>
    private static void PiecewiseBackward<T>(Activation kind, T* z, T* dy, T* dz, long count, T negativeSlope)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            int w = Vector<T>.Count;
            var slope = new Vector<T>(negativeSlope);
            var one = Vector<T>.One;
            for (; i <= count - w; i += w)
            {
                var g = Vector.Load(dy + i);
                if (kind != Activation.None)
                {
                    // dy·f'(z) as a product, not a select, so an infinite or NaN dy propagates as in the scalar formula.
                    var positive = Vector.GreaterThan(Vector.Load(z + i), Vector<T>.Zero);
                    g *= Vector.ConditionalSelect(positive, one, kind == Activation.ReLU ? Vector<T>.Zero : slope);
                }
                Vector.Store(g, dz + i);
            }
        }
        switch (kind)
        {
            case Activation.None: for (; i < count; i++) dz[i] = dy[i] * T.One; break;
            case Activation.ReLU: for (; i < count; i++) dz[i] = dy[i] * (z[i] > T.Zero ? T.One : T.Zero); break;
            default: for (; i < count; i++) dz[i] = dy[i] * (z[i] > T.Zero ? T.One : negativeSlope); break;
        }
    }

    /// <summary>f(z) for one element.</summary>
    public static T Apply<T>(Activation kind, T z, T negativeSlope) where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (kind)
        {
            case Activation.None: return z;
            case Activation.ReLU: return z > T.Zero ? z : T.Zero;
            case Activation.LeakyReLU: return z > T.Zero ? z : z * negativeSlope;
            case Activation.GELU:
            {
                // The kernels' vector formula where there is one, so a single element gets the same bits as in a buffer.
                if (typeof(T) == typeof(float) && VectorExp.IsAccelerated)
                {
                    var one = Vector256.Create(float.CreateTruncating(z));
                    return T.CreateTruncating((one * GeluGate(one)).ToScalar());
                }
                if (HasVectorExp<T>())
                {
                    var v = new Vector<T>(z);
                    return (v * GeluGate(v))[0];
                }
                // ½·z·(1 + tanh u) = z·σ(2u): no cancellation in 1 + tanh u where u is negative.
                T twoU = T.CreateTruncating(2 * GeluC) * (z + T.CreateTruncating(GeluA) * z * z * z);
                return z / (T.One + T.Exp(-twoU));
            }
            case Activation.SiLU: return z * Sigmoid(z);
            case Activation.Sigmoid: return Sigmoid(z);
            case Activation.Tanh: return T.Tanh(z);
            case Activation.GELUExact:
            {
                // Computed in float64 for every T: a float32 result is the float64 value rounded once, within about half an ulp.
                return T.CreateTruncating(ErrorFunction.Gelu(double.CreateTruncating(z)));
            }
            default: throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown activation.");
        }
    }

    /// <summary>f'(z) for one element, given z and y = f(z).</summary>
    public static T Derivative<T>(Activation kind, T z, T y, T negativeSlope) where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (kind)
        {
            case Activation.None: return T.One;
            case Activation.ReLU: return z > T.Zero ? T.One : T.Zero;
            case Activation.LeakyReLU: return z > T.Zero ? T.One : negativeSlope;
            case Activation.GELU:
            {
                // With s = σ(2u) = (1 + tanh u)/2: f' = s + z·s·(1 − s)·2c·(1 + 3a·z²).
                if (typeof(T) == typeof(float) && VectorExp.IsAccelerated) return T.CreateTruncating(GeluSlope(Vector256.Create(float.CreateTruncating(z))).ToScalar());
                if (HasVectorExp<T>()) return GeluSlope(new Vector<T>(z))[0];
                T twoU = T.CreateTruncating(2 * GeluC) * (z + T.CreateTruncating(GeluA) * z * z * z);
                T s = T.One / (T.One + T.Exp(-twoU));
                return s + z * s * (T.One - s) * (T.CreateTruncating(2 * GeluC) * (T.One + T.CreateTruncating(3 * GeluA) * z * z));
            }
            case Activation.SiLU:
            {
                T s = Sigmoid(z);
                return s * (T.One + z * (T.One - s));
            }
            case Activation.Sigmoid: return y * (T.One - y);
            case Activation.Tanh: return T.One - y * y;
            case Activation.GELUExact:
            {
                return T.CreateTruncating(ErrorFunction.GeluDerivative(double.CreateTruncating(z)));
            }
            default: throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown activation.");
        }
    }

    /// <summary>Numerically stable logistic function.</summary>
    public static T Sigmoid<T>(T z) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (z >= T.Zero) return T.One / (T.One + T.Exp(-z));
        T e = T.Exp(z);
        return e / (T.One + e);
    }
}
