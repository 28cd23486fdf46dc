using System.Collections.Generic;

namespace ModelGen.FrontEnd;

/// <summary>Where a construct that keeps its model on the CPU is written: a layer's attribute, a [Forward] node, an AddLoss call.</summary>
internal enum CpuOnlyTarget { LayerAttribute, Node, LossTerm }

/// <summary>
/// One construct of a model with CPU kernels only: where it is written (<see cref="Target"/> and <see cref="Index"/>
/// into the layers, graph nodes or loss terms) and how a message names it.
/// </summary>
internal readonly record struct CpuOnlyConstruct(CpuOnlyTarget Target, int Index, string What);

/// <summary>
/// Which constructs have CUDA kernels: the one list the CUDA emitter (which gives such a model a plan that states the
/// reason at run time) and the analyzer (MG0039, at build time) both read.
/// </summary>
internal static class CudaCoverage
{
    /// <summary>
    /// Null for a layer kind with CUDA kernels; for a kind without, why (a clause that follows "layer 'Name' (Kind): ").
    /// Every kind must say which.
    /// </summary>
    public static string? LayerReason(LayerKind kind) => kind switch
    {
        LayerKind.Dense or LayerKind.Flatten or LayerKind.Reshape or LayerKind.Dropout => null,
        LayerKind.Conv2d or LayerKind.MaxPool2d or LayerKind.AvgPool2d or LayerKind.GlobalAvgPool or LayerKind.Conv1d => null,
        LayerKind.ConvTranspose2d or LayerKind.Upsample => null,
        LayerKind.LayerNorm or LayerKind.BatchNorm or LayerKind.GroupNorm => null,
        LayerKind.LSTM or LayerKind.GRU => null,
        LayerKind.Embedding or LayerKind.PositionalEmbedding or LayerKind.MultiHeadAttention => null,
        LayerKind.CrossAttention => "cross-attention has CPU kernels only in this version (no CUDA template reads a second sequence yet); the model trains and predicts on the CPU",
    };

    /// <summary>Every construct of <paramref name="spec"/> without CUDA kernels, in the order layers, loss terms, noise (each once).</summary>
    public static List<CpuOnlyConstruct> CpuOnlyConstructs(ModelSpec spec)
    {
        var found = new List<CpuOnlyConstruct>();
        for (int l = 0; l < spec.Layers.Count; l++)
            if (LayerReason(spec.Layers[l].Kind) is not null)
                found.Add(new CpuOnlyConstruct(CpuOnlyTarget.LayerAttribute, l, $"{spec.Layers[l].Kind} layer '{spec.Layers[l].Name}'"));
        for (int t = 0; t < spec.Graph.LossTerms.Count; t++)
            found.Add(new CpuOnlyConstruct(CpuOnlyTarget.LossTerm, t, $"Loss term \"{spec.Graph.LossTerms[t].Name}\""));
        for (int n = 0; n < spec.Graph.Nodes.Count; n++)
            if (spec.Graph.Nodes[n].Kind == NodeKind.RandomNormal)
                found.Add(new CpuOnlyConstruct(CpuOnlyTarget.Node, n, "Noise (Tensor.RandomNormal)"));
        return found;
    }
}
