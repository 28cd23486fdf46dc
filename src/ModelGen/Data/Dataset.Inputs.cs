using System;
using System.Collections.Generic;
using System.Linq;

namespace ModelGen;

/// <summary>One named block of a feature row: the model input <paramref name="Name"/>, <paramref name="Width"/> values starting at <paramref name="Offset"/>.</summary>
/// <param name="Name">The input's name (a <c>[Forward]</c> parameter declared with <c>[Input]</c>).</param>
/// <param name="Offset">First column of the block in each row.</param>
/// <param name="Width">Values per sample (the product of the input's shape).</param>
public sealed record InputBlock(string Name, int Offset, int Width);

public sealed partial class Dataset
{
    /// <summary>
    /// The named inputs each feature row holds side by side (set by <see cref="WithInputs"/>), or null for a set
    /// of plain rows. A multi-input model checks them against its own inputs, so blocks given in another order
    /// or of other widths are an error rather than silently wrong features.
    /// </summary>
    public IReadOnlyList<InputBlock>? Inputs { get; private init; }

    /// <summary>
    /// The same rows (not copied) with each feature row read as consecutive named blocks, e.g.
    /// <c>data.WithInputs(("wide", 10), ("deep", 20))</c> for a model with <c>[Input("wide", 10)]</c> and
    /// <c>[Input("deep", 20)]</c>: columns 0…9 feed <c>wide</c>, columns 10…29 feed <c>deep</c>.
    /// </summary>
    /// <exception cref="ArgumentException">No blocks, a name is empty or repeated, a width is below 1, or the widths do not add up to <see cref="FeatureCount"/>.</exception>
    public Dataset WithInputs(params (string Name, int Width)[] inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Length == 0) throw new ArgumentException("Name at least one input.", nameof(inputs));
        var blocks = new List<InputBlock>();
        int offset = 0;
        foreach (var (name, width) in inputs)
        {
            if (string.IsNullOrEmpty(name)) throw new ArgumentException("An input name is empty.", nameof(inputs));
            if (blocks.Any(b => b.Name == name)) throw new ArgumentException($"The input '{name}' is named twice.", nameof(inputs));
            if (width < 1) throw new ArgumentException($"The input '{name}' has width {width}; it must be at least 1.", nameof(inputs));
            blocks.Add(new InputBlock(name, offset, width));
            offset += width;
        }
        if (offset != FeatureCount)
            throw new ArgumentException($"The inputs {InputText(blocks)} add up to {offset} values per row, but the rows have {FeatureCount}.", nameof(inputs));
        return new Dataset(Features, FeatureCount, Targets, TargetWidth, ClassCount, AllowsNonFinite) { Inputs = blocks, ClassNames = ClassNames };
    }

    /// <summary>
    /// Packs separate per-input arrays (each <paramref name="rows"/> × its width, row-major) into one feature matrix,
    /// the blocks side by side in each row in the order given; pair it with <see cref="WithInputs"/>.
    /// </summary>
    /// <exception cref="ArgumentException">An array's length is not <paramref name="rows"/> × its width.</exception>
    public static float[] PackInputs(int rows, params (float[] Values, int Width)[] inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (rows < 0) throw new ArgumentOutOfRangeException(nameof(rows), rows, "The row count must not be negative.");
        int total = 0;
        foreach (var (values, width) in inputs)
        {
            ArgumentNullException.ThrowIfNull(values, nameof(inputs));
            if (width < 1 || values.Length != (long)rows * width)
                throw new ArgumentException($"An input of width {width} has {values.Length} values; {rows} rows need {(long)rows * width}.", nameof(inputs));
            total += width;
        }
        var packed = new float[(long)rows * total];
        int offset = 0;
        foreach (var (values, width) in inputs)
        {
            for (int r = 0; r < rows; r++) Array.Copy(values, (long)r * width, packed, (long)r * total + offset, width);
            offset += width;
        }
        return packed;
    }

    internal static string InputText(IEnumerable<InputBlock> blocks) => string.Join(", ", blocks.Select(b => $"{b.Name}[{b.Width}]"));
}
