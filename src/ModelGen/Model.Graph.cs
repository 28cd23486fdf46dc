using System;
using System.Collections.Generic;
using System.Linq;

namespace ModelGen;

/// <summary>
/// One output of a model and its loss: where its values sit in each packed output row, and where its
/// targets sit in each target row. A model with one output has one head, named "output".
/// </summary>
/// <param name="Name">The tuple element's name in <c>[Forward]</c>'s return type ("output" for one output).</param>
/// <param name="Loss">The head's loss.</param>
/// <param name="Weight">Factor of the head's loss in the total.</param>
/// <param name="OutputOffset">First column of the head in a packed output row.</param>
/// <param name="OutputSize">Output values per sample.</param>
/// <param name="TargetOffset">First column of the head's targets in a target row.</param>
/// <param name="TargetSize">Target values per sample (1 for a class index).</param>
public sealed record ModelHead(string Name, Loss Loss, float Weight, int OutputOffset, int OutputSize, int TargetOffset, int TargetSize);

public abstract partial class Model
{
    private int? _targetSize;
    private IReadOnlyList<ModelHead>? _singleHead;
    private IReadOnlyList<InputBlock>? _singleInput;

    /// <summary>
    /// The model's outputs and their losses, in the order of the tuple <c>[Forward]</c> returns (one head for a
    /// model with one output). Outputs of <see cref="Predict(Dataset)"/> and targets are packed side by side per sample.
    /// </summary>
    public virtual IReadOnlyList<ModelHead> Heads => _singleHead ??=
        [new ModelHead("output", Loss, 1f, 0, OutputSize, 0, Loss switch { Loss.SoftmaxCrossEntropy => LabelsPerSample, Loss.Contrastive => 1, _ => OutputSize })];

    /// <summary>
    /// The model's inputs, side by side in each feature row: one block named "input" for a model declared with
    /// <c>[Model(Input = …)]</c>, or one per <c>[Input]</c> attribute in declaration order.
    /// </summary>
    public virtual IReadOnlyList<InputBlock> Inputs => _singleInput ??= [new InputBlock("input", 0, InputSize)];

    /// <summary>Raw outputs of head <paramref name="head"/> for every sample of <paramref name="data"/> (count × its output size).</summary>
    /// <exception cref="ArgumentException">The model has no head of that name.</exception>
    public float[] PredictHead(Dataset data, string head)
    {
        var h = Heads.FirstOrDefault(x => x.Name == head)
            ?? throw new ArgumentException($"{GetType().Name} has no head '{head}'; its heads are {string.Join(", ", Heads.Select(x => x.Name))}.", nameof(head));
        var packed = Predict(data);
        var result = new float[data.Count * h.OutputSize];
        for (int r = 0; r < data.Count; r++)
            packed.AsSpan(r * OutputSize + h.OutputOffset, h.OutputSize).CopyTo(result.AsSpan(r * h.OutputSize));
        return result;
    }

    private int TotalTargetSize()
    {
        int total = 0;
        foreach (var head in Heads) total += head.TargetSize;
        return total;
    }
}
