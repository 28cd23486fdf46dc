using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelGen.Cpu;

/// <summary>
/// The float vector operations a kernel written once needs, for the widest hardware vector: a kernel takes the
/// width as a struct type argument (<see cref="Lanes512"/> or <see cref="Lanes256"/>), so the JIT compiles one copy
/// per width with every call inlined. Both widths do the same arithmetic lane by lane.
/// </summary>
internal unsafe interface IFloatLanes<TVector> where TVector : unmanaged
{
    static abstract int Count { get; }
    static abstract TVector Zero { get; }
    static abstract TVector Load(float* source);
    static abstract void Store(TVector value, float* destination);
    static abstract TVector Broadcast(float value);
    /// <summary>a·b + c with one rounding.</summary>
    static abstract TVector MultiplyAdd(TVector a, TVector b, TVector c);
}

internal unsafe struct Lanes512 : IFloatLanes<Vector512<float>>
{
    public static int Count => 16;
    public static Vector512<float> Zero => Vector512<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Load(float* source) => Vector512.Load(source);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector512<float> value, float* destination) => Vector512.Store(value, destination);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Broadcast(float value) => Vector512.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);
}

internal unsafe struct Lanes256 : IFloatLanes<Vector256<float>>
{
    public static int Count => 8;
    public static Vector256<float> Zero => Vector256<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Load(float* source) => Vector256.Load(source);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector256<float> value, float* destination) => Vector256.Store(value, destination);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Broadcast(float value) => Vector256.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);
}
