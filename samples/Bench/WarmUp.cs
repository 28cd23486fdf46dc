using System;
using System.Diagnostics;
using System.Runtime;

namespace Bench;

/// <summary>
/// Warm-up before timing: runs a step until the JIT has stopped compiling, so the timed calls run the optimized code a
/// long-running process runs. .NET first compiles a method quickly and without optimizations, and recompiles it
/// optimized on a background thread only after ~100 ms and 30 calls; a fixed handful of warm-up calls (what the peers do:
/// their kernels are compiled ahead of time) would time the unoptimized code for a model whose steps take microseconds.
/// </summary>
public static class WarmUp
{
    /// <summary>How long no method may be compiled before the code counts as settled.</summary>
    private static readonly long s_quietTicks = Stopwatch.Frequency / 2;

    /// <summary>The longest warm-up: on a machine too busy for the background compiler to finish, timing goes on anyway.</summary>
    private static readonly long s_limitTicks = 20 * Stopwatch.Frequency;

    /// <summary>
    /// Runs <paramref name="step"/> at least <paramref name="minCalls"/> times, then until no method was compiled for
    /// half a second (at most 20 s). Returns the calls made and the milliseconds taken.
    /// </summary>
    public static (int Calls, double Milliseconds) Run(Action step, int minCalls)
    {
        long start = Stopwatch.GetTimestamp();
        int calls = 0;
        for (; calls < minCalls; calls++) step();
        long compiled = JitInfo.GetCompiledMethodCount(currentThread: false);
        long lastChange = Stopwatch.GetTimestamp();
        while (true)
        {
            step();
            calls++;
            long now = Stopwatch.GetTimestamp();
            long count = JitInfo.GetCompiledMethodCount(currentThread: false);
            if (count != compiled) { compiled = count; lastChange = now; }
            else if (now - lastChange >= s_quietTicks || now - start >= s_limitTicks) break;
        }
        return (calls, (Stopwatch.GetTimestamp() - start) * 1e3 / Stopwatch.Frequency);
    }
}
