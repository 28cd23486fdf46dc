using System;

namespace ModelGen.Cuda.Tests.Emulation;

/// <summary>Memory and launches on a <see cref="HostEmulator"/> for tests that call template kernels directly (256 threads per block).</summary>
internal sealed unsafe class EmulatedKernels : IDisposable
{
    private readonly HostEmulator _emulator;

    public EmulatedKernels(HostEmulator emulator) => _emulator = emulator;

    public ulong Put(float[] values)
    {
        ulong p = _emulator.Allocate(values.Length * 4L);
        _emulator.Upload<float>(p, values);
        return p;
    }

    public ulong Zeros(int count) => _emulator.Allocate(count * 4L);

    public float[] Get(ulong p, int count)
    {
        var r = new float[count];
        _emulator.Download<float>(r, p);
        return r;
    }

    /// <summary>Launches <paramref name="kernel"/>; pointers are passed as ulong, scalars as int or long (the kernel parameter's type).</summary>
    public void Launch(string kernel, uint blocks, params object[] args)
    {
        var storage = stackalloc long[args.Length];
        var pointers = stackalloc void*[args.Length];
        for (int i = 0; i < args.Length; i++)
        {
            storage[i] = args[i] switch { ulong u => (long)u, int n => n, long l => l, _ => throw new ArgumentException($"argument {i}: {args[i]?.GetType().Name} is not a pointer (ulong), int or long") };
            pointers[i] = &storage[i];
        }
        _emulator.Launch(_emulator.Function(kernel), blocks, 256, pointers);
    }

    public void Dispose() => _emulator.Dispose();
}
