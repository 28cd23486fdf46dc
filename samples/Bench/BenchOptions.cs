using System;
using System.Globalization;

namespace Bench;

/// <summary>The command line shared by the benchmark programs: --models a,b --threads N --steps N --repeats N.</summary>
public sealed record BenchOptions(string[] Models, int Threads, int Steps, int Repeats)
{
    /// <summary>Reads <paramref name="args"/> over the given defaults; an unknown option or a value that is not a positive integer is an error naming it.</summary>
    public static BenchOptions Parse(string[] args, BenchOptions defaults)
    {
        var o = defaults;
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"'{args[i]}' needs a value.");
            int Int(string name)
            {
                string v = Value();
                return int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : throw new ArgumentException($"{name} must be a positive integer, not '{v}'.");
            }
            o = args[i] switch
            {
                "--models" => o with { Models = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) },
                "--threads" => o with { Threads = Int("--threads") },
                "--steps" => o with { Steps = Int("--steps") },
                "--repeats" => o with { Repeats = Int("--repeats") },
                _ => throw new ArgumentException($"Unknown option '{args[i]}'. Options: --models, --threads, --steps, --repeats."),
            };
        }
        return o;
    }

    /// <summary><see cref="Parse"/>, with a bad command line printed as one line on stderr and exit code 2 instead of a stack trace.</summary>
    public static BenchOptions ParseOrExit(string[] args, BenchOptions defaults)
    {
        try { return Parse(args, defaults); }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            Environment.Exit(2);
            throw;
        }
    }
}
