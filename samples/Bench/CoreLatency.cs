using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Threading;

namespace Bench;

/// <summary>
/// How long one cache line takes to travel between two threads: each waits for the other's value on a shared line and then
/// writes its own, many times. On one chiplet this round trip takes tens of nanoseconds; between chiplets or sockets
/// several hundred. It is the price of every hand-off in a split job, and of every value one thread writes and the other
/// reads (a layer's output that the next layer's other half needs), so it decides how small a job can be and still gain
/// from a second thread. The operating system chooses the cores; this only reports what the two threads got.
/// </summary>
public static class CoreLatency
{
    private const int Trips = 200_000;

    /// <summary>One JSON line per round: the average round trip over <see cref="Trips"/> trips, in nanoseconds.</summary>
    public static IEnumerable<string> Run(int rounds)
    {
        var line = new long[32];   // the value at index 8 sits alone on its 64-byte line whatever the array's start
        for (int round = 0; round < rounds; round++)
        {
            Volatile.Write(ref line[8], 0);
            var other = new Thread(() =>
            {
                for (long i = 1; i <= Trips; i++)
                {
                    while (Volatile.Read(ref line[8]) != 2 * i - 1) { }
                    Volatile.Write(ref line[8], 2 * i);
                }
            }) { IsBackground = true };
            other.Start();
            long start = Stopwatch.GetTimestamp();
            for (long i = 1; i <= Trips; i++)
            {
                Volatile.Write(ref line[8], 2 * i - 1);
                while (Volatile.Read(ref line[8]) != 2 * i) { }
            }
            double nanoseconds = Stopwatch.GetElapsedTime(start).TotalNanoseconds / Trips;
            other.Join();
            yield return string.Create(CultureInfo.InvariantCulture,
                $"{{\"mode\": \"core-latency\", \"round\": {round}, \"round_trip_ns\": {nanoseconds:F0}, \"one_way_ns\": {nanoseconds / 2:F0}}}");
        }
    }
}
