using System;

namespace ModelGen.Cuda;

/// <summary>A 4-byte scalar argument of a generated kernel: a float or an int, as the kernel's parameter list declares it.</summary>
internal readonly struct KernelArgument
{
    private KernelArgument(uint bits) => Bits = bits;

    /// <summary>The argument's bytes, as the driver copies them into the kernel's parameter.</summary>
    public uint Bits { get; }

    public static implicit operator KernelArgument(float value) => new(BitConverter.SingleToUInt32Bits(value));

    public static implicit operator KernelArgument(int value) => new(unchecked((uint)value));
}

/// <summary>
/// One launch of a generated kernel over the flat parameter buffer: the kernel's name and its scalar arguments in
/// the order the kernel declares them. Optimizers describe their CUDA update this way; <see cref="CudaGraph"/> only launches it.
/// </summary>
internal unsafe struct KernelCall
{
    /// <summary>The most arguments a call carries (Adam's update has eight).</summary>
    public const int MaxArguments = 8;

    private fixed uint _arguments[MaxArguments];

    /// <summary>Describes a launch of <paramref name="kernel"/> with <paramref name="arguments"/>.</summary>
    public KernelCall(string kernel, params ReadOnlySpan<KernelArgument> arguments)
    {
        if (arguments.Length > MaxArguments)
            throw new ArgumentException($"A kernel call carries at most {MaxArguments} arguments; {kernel} was given {arguments.Length}.", nameof(arguments));
        Kernel = kernel;
        ArgumentCount = arguments.Length;
        for (int i = 0; i < arguments.Length; i++) _arguments[i] = arguments[i].Bits;
    }

    /// <summary>The kernel's name in the generated translation unit.</summary>
    public string Kernel { get; }

    /// <summary>Number of arguments.</summary>
    public int ArgumentCount { get; }

    /// <summary>The bytes of argument <paramref name="index"/>.</summary>
    public readonly uint this[int index] => (uint)index < (uint)ArgumentCount
        ? _arguments[index]
        : throw new ArgumentOutOfRangeException(nameof(index), index, $"{Kernel} has {ArgumentCount} arguments.");

    /// <summary>The arguments as floats (ints shown by their bits), for messages and tests.</summary>
    public readonly float[] FloatArguments()
    {
        var values = new float[ArgumentCount];
        for (int i = 0; i < values.Length; i++) values[i] = BitConverter.UInt32BitsToSingle(_arguments[i]);
        return values;
    }
}
