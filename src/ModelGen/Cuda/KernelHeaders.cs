using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace ModelGen.Cuda;

/// <summary>
/// The CUDA templates of the repository's kernels/ folder, embedded in this assembly: NVRTC gets
/// them as named headers, so a generated translation unit simply writes <c>#include "modelgen.cuh"</c>.
/// </summary>
public static class KernelHeaders
{
    private const string Prefix = "ModelGen.Kernels.";

    private static readonly Lazy<IReadOnlyList<KeyValuePair<string, string>>> Headers = new(() =>
    {
        var assembly = typeof(KernelHeaders).Assembly;
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal))
            .OrderBy(n => n, StringComparer.Ordinal)
            .Select(n =>
            {
                using var reader = new StreamReader(assembly.GetManifestResourceStream(n)!);
                return new KeyValuePair<string, string>(n.Substring(Prefix.Length), reader.ReadToEnd().Replace("\r\n", "\n"));
            })
            .ToList();
    });

    /// <summary>Every header as (include name, text), ordered by name.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> All => Headers.Value;

    /// <summary>The text of one header, e.g. <c>gemm.cuh</c>.</summary>
    /// <exception cref="ArgumentException">No header has that name.</exception>
    public static string Get(string name) =>
        All.FirstOrDefault(h => h.Key == name).Value ?? throw new ArgumentException($"No kernel header named '{name}'; there are {string.Join(", ", All.Select(h => h.Key))}.", nameof(name));
}
