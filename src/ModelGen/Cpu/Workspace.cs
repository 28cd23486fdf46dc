using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ModelGen.Cpu;

/// <summary>Per-thread scratch memory for packed panels: grown to the largest request, then reused.</summary>
internal static unsafe class Workspace
{
    private const int Alignment = 64;

    [ThreadStatic] private static byte[]? t_buffer;

    /// <summary>This thread's scratch of at least <paramref name="elements"/> elements, 64-byte aligned; valid until its next call.</summary>
    public static T* Get<T>(nint elements) where T : unmanaged
    {
        nint bytes = elements * sizeof(T) + Alignment;
        byte[]? buffer = t_buffer;
        if (buffer is null || buffer.Length < bytes)
        {
            // Pinned so the address stays valid; held per thread, so no two threads share scratch.
            buffer = GC.AllocateUninitializedArray<byte>(checked((int)bytes), pinned: true);
            t_buffer = buffer;
        }
        return (T*)AlignedStart(buffer, Alignment);
    }

    /// <summary>The first address in a pinned array that is a multiple of <paramref name="alignment"/> (a power of two); the array must have that much slack.</summary>
    public static void* AlignedStart<TElement>(TElement[] pinned, int alignment) where TElement : unmanaged
    {
        nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinned));
        return (void*)((address + alignment - 1) & ~(nint)(alignment - 1));
    }
}
