using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelGen.Cpu;

/// <summary>
/// The one vector exponential of the CPU kernels (GELU, attention's softmax, the softmax cross-entropy).
/// float32 works in float32 alone: <c>exp(x) = 2ⁿ·exp(r)</c> with n = round(x·log₂e), r = x − n·ln 2 in two
/// fused steps, exp(r) by its Taylor polynomial of degree 7 (|r| ≤ ½ ln 2, truncation below 6·10⁻⁹), and 2ⁿ
/// applied as two exact powers of two so that results near the overflow and underflow ends, subnormals
/// included, are rounded once. Within 1 ulp of double exp rounded to float for every one of the 2³² inputs
/// (checked once exhaustively; the tests hold it to 2 ulp on a sample of the whole range, dense near both
/// ends); exp(+∞) = +∞, exp(−∞) = 0, NaN stays NaN.
/// float64 uses <see cref="Vector.Exp(Vector{double})"/>, which is accurate to about an ulp (gradient
/// checks run in float64).
/// </summary>
/// <remarks>
/// The 512-bit and 256-bit forms run the same operations lane by lane, so a value gets the same bits
/// whichever width computes it, and in a tail that goes through a padded vector.
/// </remarks>
internal static class VectorExp
{
    // Inputs are clamped to [Lowest, Highest] before the reduction: exp(−104) rounds to 0 and exp(89) to +∞,
    // and both ends keep n inside the range the two scale factors cover.
    private const float Lowest = -104f, Highest = 89f;
    private const float Log2E = 1.44269504088896341f;
    // ln 2 split so that n·LnTwoHigh is exact for |n| < 2¹⁵ (LnTwoHigh has 9 significant bits).
    private const float LnTwoHigh = 0.693359375f, LnTwoLow = -2.12194440e-4f;
    private const float C2 = 1f / 2, C3 = 1f / 6, C4 = 1f / 24, C5 = 1f / 120, C6 = 1f / 720, C7 = 1f / 5040;

    /// <summary>Whether the float32 forms run on hardware vectors (512-bit where accelerated, else 256-bit).</summary>
    public static bool IsAccelerated => Vector512.IsHardwareAccelerated || Vector256.IsHardwareAccelerated;

    /// <summary>exp of each lane of a 512-bit float vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        var clamped = Vector512.MinNative(Vector512.MaxNative(x, Vector512.Create(Lowest)), Vector512.Create(Highest));
        var n = Vector512.Round(clamped * Vector512.Create(Log2E));
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-LnTwoHigh), clamped);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-LnTwoLow), r);
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(C7), r, Vector512.Create(C6));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(C5));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(C4));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(C3));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(C2));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512<float>.One);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512<float>.One);
        // 2ⁿ as 2^(n/2)·2^(n − n/2): each factor is a normal float for every n the clamp allows.
        var whole = Vector512.ConvertToInt32Native(n);
        var half = Vector512.ShiftRightArithmetic(whole, 1);
        var first = Vector512.ShiftLeft(half + Vector512.Create(127), 23).AsSingle();
        var second = Vector512.ShiftLeft(whole - half + Vector512.Create(127), 23).AsSingle();
        var result = p * first * second;
        // The clamp turned NaN into a number; give it back.
        return Vector512.ConditionalSelect(Vector512.Equals(x, x), result, x);
    }

    /// <summary>exp of each lane of a 256-bit float vector: the same operations as the 512-bit form.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        var clamped = Vector256.MinNative(Vector256.MaxNative(x, Vector256.Create(Lowest)), Vector256.Create(Highest));
        var n = Vector256.Round(clamped * Vector256.Create(Log2E));
        var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-LnTwoHigh), clamped);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-LnTwoLow), r);
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(C7), r, Vector256.Create(C6));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(C5));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(C4));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(C3));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(C2));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256<float>.One);
        p = Vector256.FusedMultiplyAdd(p, r, Vector256<float>.One);
        var whole = Vector256.ConvertToInt32Native(n);
        var half = Vector256.ShiftRightArithmetic(whole, 1);
        var first = Vector256.ShiftLeft(half + Vector256.Create(127), 23).AsSingle();
        var second = Vector256.ShiftLeft(whole - half + Vector256.Create(127), 23).AsSingle();
        var result = p * first * second;
        return Vector256.ConditionalSelect(Vector256.Equals(x, x), result, x);
    }

    /// <summary>exp of one float through the vector code, so it matches a lane of a vector call bit for bit.</summary>
    public static float Exp(float x) => Exp(Vector256.Create(x)).ToScalar();

    /// <summary>exp of each lane of a <see cref="Vector{T}"/> of float or double (float through the 256-bit form, lane for lane).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<T> Exp<T>(Vector<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
        {
            var f = Vector.As<T, float>(x);
            if (Vector<float>.Count == Vector256<float>.Count) return Vector.As<float, T>(Exp(f.AsVector256()).AsVector());
            if (Vector<float>.Count == Vector512<float>.Count) return Vector.As<float, T>(Exp(f.AsVector512()).AsVector());
            return Vector.As<float, T>(Exp(f.AsVector128().ToVector256Unsafe()).GetLower().AsVector());
        }
        return Vector.As<double, T>(Vector.Exp(Vector.As<T, double>(x)));
    }

    /// <summary>
    /// <c>values[j] = exp(values[j] − shift)</c> for j &lt; count in place, returning their sum (float: in lanes, see
    /// below; double: in index order): a softmax's numerators. Every element goes through the vector code (the tail on a padded copy), so its bits
    /// do not depend on its position.
    /// </summary>
    public static unsafe T ExpShiftedInPlace<T>(T* values, int count, T shift) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float) && IsAccelerated) return T.CreateTruncating(ExpShiftedInPlace((float*)values, count, float.CreateTruncating(shift)));
        int j = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            int w = Vector<T>.Count;
            var offset = new Vector<T>(shift);
            for (; j <= count - w; j += w) Vector.Store(Exp(Vector.Load(values + j) - offset), values + j);
            if (j < count)
            {
                int rest = count - j;
                T* pad = stackalloc T[w];
                new Span<T>(pad, w).Clear();
                new ReadOnlySpan<T>(values + j, rest).CopyTo(new Span<T>(pad, w));
                Vector.Store(Exp(Vector.Load(pad) - offset), pad);
                new ReadOnlySpan<T>(pad, rest).CopyTo(new Span<T>(values + j, rest));
            }
        }
        else
        {
            for (; j < count; j++) values[j] = T.Exp(values[j] - shift);
        }
        T sum = T.Zero;
        for (int t = 0; t < count; t++) sum += values[t];
        return sum;
    }

    // The float sum runs in eight lanes (a 512-bit vector adds its two halves in turn, as two 256-bit steps would),
    // then across them: a fixed order for a given count, the same on 512-bit and 256-bit machines.
    private static unsafe float ExpShiftedInPlace(float* values, int count, float shift)
    {
        int j = 0;
        var sums = Vector256<float>.Zero;
        if (Vector512.IsHardwareAccelerated)
        {
            var offset = Vector512.Create(shift);
            for (; j <= count - 16; j += 16)
            {
                var e = Exp(Vector512.Load(values + j) - offset);
                Vector512.Store(e, values + j);
                sums += e.GetLower();
                sums += e.GetUpper();
            }
        }
        var offset256 = Vector256.Create(shift);
        for (; j <= count - 8; j += 8)
        {
            var e = Exp(Vector256.Load(values + j) - offset256);
            Vector256.Store(e, values + j);
            sums += e;
        }
        if (j < count)
        {
            // Padded with −∞, whose exponentials are 0 and add nothing.
            int rest = count - j;
            float* pad = stackalloc float[8];
            new Span<float>(pad, 8).Fill(float.NegativeInfinity);
            new ReadOnlySpan<float>(values + j, rest).CopyTo(new Span<float>(pad, 8));
            var e = Exp(Vector256.Load(pad) - offset256);
            sums += e;
            Vector256.Store(e, pad);
            new ReadOnlySpan<float>(pad, rest).CopyTo(new Span<float>(values + j, rest));
        }
        return Vector256.Sum(sums);
    }
}
