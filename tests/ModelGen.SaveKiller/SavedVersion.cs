using System;
using System.Collections.Generic;
using ModelGen.Serialization;

namespace ModelGen.SaveKiller;

/// <summary>The content of version <c>v</c> of the file the save loop writes; the test rebuilds it to compare.</summary>
public static class SavedVersion
{
    /// <summary>The tensors of version <paramref name="version"/>. Sizes vary with the version, so a file mixing two versions cannot pass as one.</summary>
    public static SafetensorsTensor[] Tensors(long version)
    {
        int columns = 1024 + (int)(version % 64) * 16;
        var weights = new float[256 * columns];
        uint state = (uint)version * 2654435761u + 1;
        for (int i = 0; i < weights.Length; i++)
        {
            state = state * 1664525u + 1013904223u; // a cheap LCG: every version's values differ everywhere
            weights[i] = (int)(state >> 8) / 16777216f - 0.5f;
        }
        var tail = new float[1 + version % 17];
        for (int i = 0; i < tail.Length; i++) tail[i] = version + i;
        return
        [
            SafetensorsTensor.FromInt64("version", [], [version]),
            SafetensorsTensor.FromFloat32("weights", [256, columns], weights),
            SafetensorsTensor.FromFloat32("tail", [tail.Length], tail, SafetensorsDType.BFloat16),
        ];
    }

    /// <summary>The metadata of version <paramref name="version"/>.</summary>
    public static KeyValuePair<string, string>[] Metadata(long version) => [new("version", version.ToString(System.Globalization.CultureInfo.InvariantCulture))];
}
