using System;
using System.IO;
using System.Linq;
using System.Text.Json;

namespace ModelGen.Tests.Data;

/// <summary>
/// The scikit-learn reference numbers of reference/reference.json (written by reference/make_reference.py; the tests
/// need no Python). Inputs and expected outputs both come from the file.
/// </summary>
internal static class Reference
{
    private static readonly Lazy<JsonElement> Root = new(() =>
    {
        string path = Path.Combine(Path.GetDirectoryName(TestFiles.SampleData("x"))!, "..", "..", "tests", "ModelGen.Tests", "Data", "reference", "reference.json");
        return JsonDocument.Parse(File.ReadAllText(path)).RootElement;
    });

    /// <summary>The element at a dotted path, e.g. "table.standard.mean".</summary>
    public static JsonElement Get(string path)
    {
        var e = Root.Value;
        foreach (var part in path.Split('.')) e = e.GetProperty(part);
        return e;
    }

    public static double Number(string path) => Get(path).GetDouble();

    public static double[] Vector(string path) => Vector(Get(path));

    public static double[] Vector(JsonElement e) =>
        e.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.Null ? double.NaN : v.GetDouble()).ToArray();

    public static double[][] Matrix(string path) => Get(path).EnumerateArray().Select(Vector).ToArray();

    public static int[] Ints(string path) => Get(path).EnumerateArray().Select(v => v.GetInt32()).ToArray();

    public static bool[] Bools(string path) => Get(path).EnumerateArray().Select(v => v.GetBoolean()).ToArray();

    public static string[] Strings(string path) => Get(path).EnumerateArray().Select(v => v.GetString()!).ToArray();

    /// <summary>Asserts |expected − actual| ≤ tolerance · max(1, |expected|) element-wise, naming the first index that differs.</summary>
    public static void Close(double[] expected, ReadOnlySpan<double> actual, double tolerance, string what)
    {
        Xunit.Assert.True(expected.Length == actual.Length, $"{what}: {actual.Length} values, expected {expected.Length}");
        for (int i = 0; i < expected.Length; i++)
        {
            if (double.IsNaN(expected[i]) && double.IsNaN(actual[i])) continue;
            double allowed = tolerance * Math.Max(1, Math.Abs(expected[i]));
            Xunit.Assert.True(Math.Abs(expected[i] - actual[i]) <= allowed,
                $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (tolerance {allowed:G3})");
        }
    }

    public static void Close(double expected, double actual, double tolerance, string what) => Close([expected], [actual], tolerance, what);
}
