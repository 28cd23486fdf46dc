using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Diagnostics;
using System.Text;
using ModelGen.Serialization;
using Xunit;
using Xunit.Abstractions;

namespace ModelGen.Tests.Serialization;

/// <summary>
/// Mutates a valid file 100,000 ways (seeded) and reads each in memory: only <see cref="ModelFileException"/> may
/// escape, allocation stays proportional to the input, and the whole run is time-bounded.
/// </summary>
public class SafetensorsFuzzTests(ITestOutputHelper output)
{
    private const int Iterations = 100_000;

    // Allocation allowed per parse: a fixed allowance (exception, message, lists) plus a multiple of the input size.
    private const long FixedAllowance = 64 * 1024;
    private const long PerInputByte = 16;

    private static readonly string[] NumberReplacements =
    [
        "0", "1", "2", "7", "8", "-1", "-0", "00", "1.5", "1e3", "1E+2", "4294967296", "2147483648",
        "9223372036854775807", "9223372036854775808", "18446744073709551615", "18446744073709551616",
        "99999999999999999999999999", "100000000", "-9223372036854775808",
    ];

    private static readonly string[] DTypes = ["F32", "F16", "BF16", "F64", "I64", "I32", "U8", "BOOL", "F8_E4M3", "U64", "f32", "F33", "", "\\u0046\\u0033\\u0032"];

    internal static byte[] SeedFile() => SafetensorsFile.ToBytes(
        [
            SafetensorsTensor.FromFloat32("encoder.weight", [3, 4], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]),
            SafetensorsTensor.FromFloat32("encoder.bias", [4], [0.5f, -0.5f, 1, -1]),
            SafetensorsTensor.FromInt64("bn.num_batches_tracked", [], [12]),
            SafetensorsTensor.FromFloat32("half", [2, 2], [1, 2, 3, 4], SafetensorsDType.Float16),
            SafetensorsTensor.FromFloat32("brain", [3], [1, 2, 3], SafetensorsDType.BFloat16),
            SafetensorsTensor.FromFloat32("empty", [0, 3], []),
            SafetensorsTensor.FromBytes("mask", SafetensorsDType.Bool, [5], [1, 0, 1, 1, 0]),
        ],
        [new("format", "pt"), new("epochs", "30")]);

    [Fact]
    public void MutatedFilesFailOnlyWithModelFileExceptionAndBoundedAllocation()
    {
        byte[] seed = SeedFile();
        var rng = new Random(20261206);
        int accepted = 0, refused = 0;
        long worstExcess = 0;
        double slowestMs = 0;
        var problems = new Dictionary<string, int>();
        var total = Stopwatch.StartNew();
        TimeSpan cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var each = new Stopwatch();

        for (int iteration = 0; iteration < Iterations; iteration++)
        {
            byte[] input = Mutate(seed, rng);
            SafetensorsFile? file = null;
            ModelFileException? refusal = null;
            each.Restart();
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                file = SafetensorsFile.Read(input, "fuzz");
            }
            catch (ModelFileException e)
            {
                refusal = e;
            }
            catch (Exception e)
            {
                Assert.Fail($"iteration {iteration}: {e.GetType().Name} escaped: {e.Message}\ninput: {Convert.ToBase64String(input)}");
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            slowestMs = Math.Max(slowestMs, each.Elapsed.TotalMilliseconds);
            worstExcess = Math.Max(worstExcess, allocated - PerInputByte * input.Length);
            Assert.True(allocated <= FixedAllowance + PerInputByte * input.Length,
                $"iteration {iteration}: {allocated} bytes allocated for a {input.Length}-byte input ({refusal?.Problem ?? "accepted"})");

            if (file != null)
            {
                accepted++;
                CheckAcceptedFile(file, input, iteration);
            }
            else
            {
                Assert.Equal("fuzz", refusal!.FilePath);
                refused++;
                string kind = ProblemKind(refusal.Problem);
                problems[kind] = problems.GetValueOrDefault(kind) + 1;
            }
        }

        double cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
        output.WriteLine($"{Iterations} inputs in {total.Elapsed.TotalSeconds:F1} s ({cpuSeconds:F1} s of CPU): {accepted} accepted, {refused} refused; slowest parse {slowestMs:F2} ms; worst allocation beyond {PerInputByte}×input: {worstExcess} bytes");
        foreach (var (kind, count) in problems) output.WriteLine($"  {count,6}  {kind}");
        Assert.True(total.Elapsed < TimeSpan.FromSeconds(90), $"the fuzz run took {total.Elapsed}");
        // The mutations must reach deep checks, not only the first few bytes.
        Assert.True(problems.Count >= 15, $"only {problems.Count} kinds of problem were reached");
        Assert.True(accepted > 100 && refused > Iterations / 2, $"{accepted} accepted, {refused} refused");
    }

    [Fact]
    public void SeedFileIsValid()
    {
        var file = SafetensorsFile.Read(SeedFile(), "seed");
        Assert.Equal(7, file.Tensors.Count);
        Assert.Equal([1f, 2f, 3f], file["brain"].ToFloat32());
    }

    /// <summary>What a file that passed must satisfy: its tensors account for every data byte exactly once.</summary>
    private static void CheckAcceptedFile(SafetensorsFile file, byte[] input, int iteration)
    {
        long headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(input);
        long dataLength = input.Length - 8 - headerLength;
        long sum = 0;
        foreach (var tensor in file.Tensors)
        {
            Assert.Equal(tensor.ElementCount * tensor.DType.ElementSize(), tensor.Bytes.Length);
            sum += tensor.Bytes.Length;
            try
            {
                if (tensor.DType.IsConvertibleToFloat32()) Assert.Equal(tensor.ElementCount, tensor.ToFloat32().Length);
                else if (tensor.DType.IsConvertibleToInt64()) Assert.Equal(tensor.ElementCount, tensor.ToInt64().Length);
            }
            catch (ModelFileException) { } // a U64 above long.MaxValue
        }
        Assert.True(sum == dataLength, $"iteration {iteration}: tensors hold {sum} bytes of a {dataLength}-byte data section");
    }

    private static string ProblemKind(string problem)
    {
        // Drop names and numbers so that messages group by kind.
        var kind = new StringBuilder();
        bool inQuote = false;
        foreach (char c in problem)
        {
            if (c == '\'') { inQuote = !inQuote; kind.Append('\''); continue; }
            if (inQuote || char.IsAsciiDigit(c)) continue;
            kind.Append(c);
        }
        string text = kind.ToString();
        int paren = text.IndexOf(" (", StringComparison.Ordinal);
        return paren > 0 && text.StartsWith("the header is not valid JSON", StringComparison.Ordinal) ? text[..paren] : text;
    }

    internal static byte[] Mutate(byte[] seed, Random rng)
    {
        byte[] file = (byte[])seed.Clone();
        int steps = rng.Next(10) == 0 ? 2 + rng.Next(3) : 1;
        for (int step = 0; step < steps; step++) file = MutateOnce(file, rng);
        return file;
    }

    private static byte[] MutateOnce(byte[] file, Random rng)
    {
        switch (rng.Next(12))
        {
            case 0: // bit flips anywhere
            {
                int flips = 1 + rng.Next(8);
                for (int i = 0; i < flips && file.Length > 0; i++) file[rng.Next(file.Length)] ^= (byte)(1 << rng.Next(8));
                return file;
            }
            case 1: // truncation
                return file[..rng.Next(file.Length + 1)];
            case 2: // a number in the header replaced, length prefix kept consistent
                return EditHeader(file, rng, header => ReplaceNumber(header, rng));
            case 3: // a tensor entry duplicated (same name, maybe elsewhere)
                return EditHeader(file, rng, header => DuplicateEntry(header, rng));
            case 4: // two tensors' data_offsets swapped
                return EditHeader(file, rng, header => SwapOffsets(header, rng));
            case 5: // a lying header length
            {
                ulong declared = rng.Next(8) switch
                {
                    0 => ulong.MaxValue,
                    1 => 1UL << 63,
                    2 => 100_000_000,
                    3 => 100_000_001,
                    4 => (ulong)file.Length,
                    5 => (ulong)rng.Next(4),
                    _ => (ulong)Math.Max(0, (long)BinaryPrimitives.ReadUInt64LittleEndian(file) + rng.Next(-9, 10)),
                };
                if (file.Length >= 8) BinaryPrimitives.WriteUInt64LittleEndian(file, declared);
                return file;
            }
            case 6: // JSON-ish characters inserted into the header
                return EditHeader(file, rng, header =>
                {
                    const string alphabet = "{}[]\":,0123456789-+.eE \\u\"__metadata__\"dtypeshapedata_offsets\u00e9\0";
                    int at = rng.Next(header.Length + 1);
                    int count = 1 + rng.Next(4);
                    var inserted = new char[count];
                    for (int i = 0; i < count; i++) inserted[i] = alphabet[rng.Next(alphabet.Length)];
                    return header.Insert(at, new string(inserted));
                });
            case 7: // a span of the header deleted
                return EditHeader(file, rng, header =>
                {
                    int at = rng.Next(header.Length);
                    return header.Remove(at, Math.Min(header.Length - at, 1 + rng.Next(12)));
                });
            case 8: // bytes appended or the data cut short
                return rng.Next(2) == 0 ? [.. file, .. RandomBytes(rng, 1 + rng.Next(16))] : file[..Math.Max(0, file.Length - 1 - rng.Next(8))];
            case 9: // a dtype replaced
                return EditHeader(file, rng, header => ReplaceToken(header, "\"dtype\":\"", DTypes[rng.Next(DTypes.Length)], rng));
            case 10: // metadata values turned into other JSON values
                return EditHeader(file, rng, header => header.Replace("\"pt\"", rng.Next(3) switch { 0 => "30", 1 => "{\"a\":\"b\"}", _ => "null" }));
            default: // shapes or offsets made huge so that a trusting reader would allocate
                return EditHeader(file, rng, header => ReplaceToken(header, rng.Next(2) == 0 ? "\"shape\":[" : "\"data_offsets\":[",
                    rng.Next(3) switch { 0 => "1073741824", 1 => "4611686018427387904", _ => "268435456,16" }, rng));
        }
    }

    /// <summary>Applies <paramref name="edit"/> to the header text and rebuilds the file around it, usually with a matching length.</summary>
    private static byte[] EditHeader(byte[] file, Random rng, Func<string, string> edit)
    {
        if (file.Length < 8) return file;
        ulong declared = BinaryPrimitives.ReadUInt64LittleEndian(file);
        if (declared > (ulong)(file.Length - 8)) return file;
        string header = Encoding.UTF8.GetString(file, 8, (int)declared);
        byte[] edited = Encoding.UTF8.GetBytes(edit(header));
        if (rng.Next(4) != 0) edited = [.. edited, .. Encoding.ASCII.GetBytes(new string(' ', -edited.Length & 7))];
        var rebuilt = new byte[8 + edited.Length + (file.Length - 8 - (int)declared)];
        BinaryPrimitives.WriteUInt64LittleEndian(rebuilt, rng.Next(8) == 0 ? declared : (ulong)edited.Length);
        edited.CopyTo(rebuilt, 8);
        file.AsSpan(8 + (int)declared).CopyTo(rebuilt.AsSpan(8 + edited.Length));
        return rebuilt;
    }

    private static string ReplaceNumber(string header, Random rng)
    {
        var starts = new List<int>();
        for (int i = 0; i < header.Length; i++)
            if (char.IsAsciiDigit(header[i]) && (i == 0 || !char.IsAsciiDigit(header[i - 1]))) starts.Add(i);
        if (starts.Count == 0) return header;
        int start = starts[rng.Next(starts.Count)], end = start;
        while (end < header.Length && char.IsAsciiDigit(header[end])) end++;
        string replacement = rng.Next(3) == 0 ? rng.Next(0, 400).ToString() : NumberReplacements[rng.Next(NumberReplacements.Length)];
        return header[..start] + replacement + header[end..];
    }

    private static string DuplicateEntry(string header, Random rng)
    {
        var entries = FindEntries(header);
        if (entries.Count == 0) return header;
        var (start, end) = entries[rng.Next(entries.Count)];
        string entry = header[start..end];
        var (otherStart, _) = entries[rng.Next(entries.Count)];
        return header[..otherStart] + entry + "," + header[otherStart..];
    }

    private static string SwapOffsets(string header, Random rng)
    {
        var offsets = new List<(int Start, int End)>();
        const string key = "\"data_offsets\":";
        for (int at = header.IndexOf(key, StringComparison.Ordinal); at >= 0; at = header.IndexOf(key, at + 1, StringComparison.Ordinal))
        {
            int open = at + key.Length, close = header.IndexOf(']', open);
            if (close < 0) break;
            offsets.Add((open, close + 1));
        }
        if (offsets.Count < 2) return header;
        int a = rng.Next(offsets.Count), b = rng.Next(offsets.Count);
        if (a == b) return header;
        if (a > b) (a, b) = (b, a);
        string first = header[offsets[a].Start..offsets[a].End], second = header[offsets[b].Start..offsets[b].End];
        return header[..offsets[a].Start] + second + header[offsets[a].End..offsets[b].Start] + first + header[offsets[b].End..];
    }

    private static string ReplaceToken(string header, string prefix, string replacement, Random rng)
    {
        var positions = new List<int>();
        for (int at = header.IndexOf(prefix, StringComparison.Ordinal); at >= 0; at = header.IndexOf(prefix, at + 1, StringComparison.Ordinal))
            positions.Add(at + prefix.Length);
        if (positions.Count == 0) return header;
        int start = positions[rng.Next(positions.Count)], end = start;
        while (end < header.Length && header[end] is not ('"' or ',' or ']')) end++;
        return header[..start] + replacement + header[end..];
    }

    /// <summary>The "name":{...} spans of the tensor entries (the seed's names and values contain no braces).</summary>
    private static List<(int Start, int End)> FindEntries(string header)
    {
        var entries = new List<(int, int)>();
        for (int open = header.IndexOf(":{\"dtype\"", StringComparison.Ordinal); open >= 0; open = header.IndexOf(":{\"dtype\"", open + 1, StringComparison.Ordinal))
        {
            int closeQuote = header.LastIndexOf('"', open - 1);
            if (closeQuote <= 0) break;
            int nameStart = header.LastIndexOf('"', closeQuote - 1);
            int close = header.IndexOf('}', open);
            if (nameStart < 0 || close < 0) break;
            entries.Add((nameStart, close + 1));
        }
        return entries;
    }

    private static byte[] RandomBytes(Random rng, int count)
    {
        var bytes = new byte[count];
        rng.NextBytes(bytes);
        return bytes;
    }
}
