using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using ModelGen.Tests.Data;

namespace ModelGen.Tests.Monitoring;

/// <summary>
/// The SciPy/NumPy reference numbers of reference/drift_reference.json (written by reference/make_drift_reference.py;
/// the tests need no Python). Inputs and expected outputs both come from the file.
/// </summary>
internal static class DriftReference
{
    private static readonly Lazy<JsonElement> Root = new(() =>
    {
        string path = Path.Combine(Path.GetDirectoryName(TestFiles.SampleData("x"))!, "..", "..", "tests", "ModelGen.Tests", "Monitoring", "reference", "drift_reference.json");
        return JsonDocument.Parse(File.ReadAllText(path)).RootElement;
    });

    public static JsonElement Get(string name) => Root.Value.GetProperty(name);

    public static double[] Vector(JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    public static string[] Strings(JsonElement e) => e.EnumerateArray().Select(v => v.GetString()!).ToArray();

    /// <summary>Asserts |expected − actual| ≤ relative·|expected| + absolute.</summary>
    public static void Close(double expected, double actual, double relative, string what, double absolute = 0)
    {
        double allowed = relative * Math.Abs(expected) + absolute;
        Xunit.Assert.True(Math.Abs(expected - actual) <= allowed,
            $"{what}: expected {expected:R}, got {actual:R} (difference {Math.Abs(expected - actual):G3}, allowed {allowed:G3})");
    }
}
