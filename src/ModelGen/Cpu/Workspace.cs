using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ModelGen.Cpu;

/// <summary>Per-thread scratch memory for packed panels: grown to the largest request, then reused.</summary>
internal static unsafe class Workspace
{
    private const int Alignment = 64;

    /// <summary>Scratch of one <see cref="GemmCore"/> block computation.</summary>
    public const int ComputeSlot = 0;

    /// <summary>B packed by a calling thread for all the parts of a split product; lives while they run.</summary>
    public const int SharedSlot = 1;

    [ThreadStatic] private static byte[]? t_compute;
    [ThreadStatic] private static byte[]? t_shared;

    public static T* Get<T>(nint elements, int slot) where T : unmanaged
    {
        nint bytes = elements * sizeof(T) + Alignment;
        ref byte[]? slotRef = ref slot == SharedSlot ? ref t_shared : ref t_compute;
        byte[]? buffer = slotRef;
        if (buffer is null || buffer.Length < bytes)
        {
            // Pinned so the address stays valid; held per thread, so no two threads share scratch.
            buffer = GC.AllocateUninitializedArray<byte>(checked((int)bytes), pinned: true);
            slotRef = buffer;
        }
        nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));
        return (T*)((address + Alignment - 1) & ~(nint)(Alignment - 1));
    }
}
