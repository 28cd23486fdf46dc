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
        nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));
        return (T*)((address + Alignment - 1) & ~(nint)(Alignment - 1));
    }
}
