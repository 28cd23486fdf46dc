namespace ModelGen.FrontEnd;

/// <summary>
/// How a model's outputs and targets are laid out per sample, from its spec and shape plan. The emitters size
/// buffers and losses with it; the data-fit analyzer checks datasets against it.
/// </summary>
internal static class TargetLayout
{
    /// <summary>Output values per sample: every output of the graph, side by side.</summary>
    public static int OutputWidth(ModelSpec spec, ShapePlan plan)
    {
        int width = 0;
        foreach (int output in spec.Graph.AllOutputs) width += plan.Nodes[output].Size;
        return width;
    }

    /// <summary>Class labels per sample: the positions of a [sequence, classes] output under softmax cross-entropy, else 1.</summary>
    public static int LabelsPerSample(ModelSpec spec, ShapePlan plan)
    {
        // Several outputs: each head has its own loss and one label per sample.
        if (spec.Heads.Count > 0 || spec.Graph.Output < 0 || spec.Graph.Outputs.Count > 0) return 1;
        var output = plan.Nodes[spec.Graph.Output].Shape;
        return spec.Loss == LossKind.SoftmaxCrossEntropy && output.Count == 2 ? output[0] : 1;
    }

    /// <summary>Targets of one head: a class index for softmax cross-entropy, else one per output value.</summary>
    public static int HeadTargetSize(LossKind loss, int width) => loss == LossKind.SoftmaxCrossEntropy ? 1 : width;

    /// <summary>Elements of one sample's target row: the heads' targets side by side, one label per contrastive pair, or the one loss's.</summary>
    public static int TargetWidth(ModelSpec spec, ShapePlan plan)
    {
        var outputs = spec.Graph.AllOutputs;
        if (spec.Heads.Count > 0)
        {
            int width = 0;
            for (int h = 0; h < spec.Heads.Count; h++) width += HeadTargetSize(spec.Heads[h].Loss, plan.Nodes[outputs[h]].Size);
            return width;
        }
        if (spec.Loss == LossKind.Contrastive) return 1;
        return spec.Loss == LossKind.SoftmaxCrossEntropy ? LabelsPerSample(spec, plan) : OutputWidth(spec, plan);
    }
}
