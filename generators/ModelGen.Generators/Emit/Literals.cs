using System.Globalization;

namespace ModelGen.Generators.Emit;

/// <summary>Culture-invariant, round-trip literals for generated code.</summary>
internal static class Literals
{
    public static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Grouped(int value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A value the user wrote as a float, printed as written (0.2, not 0.20000000298023224), as a double literal.</summary>
    public static string FromFloat(double value)
    {
        string text = ((float)value).ToString("R", CultureInfo.InvariantCulture);
        return text.Contains(".") || text.Contains("E") ? text : text + ".0";
    }

    public static string Float(double value) => ((float)value).ToString("R", CultureInfo.InvariantCulture) + "f";

    public static string String(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n") + "\"";
}
