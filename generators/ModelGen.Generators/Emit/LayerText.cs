using System.Linq;
using ModelGen.FrontEnd;

namespace ModelGen.Generators.Emit;

/// <summary>How the comments of both emitters name layers and their parameter blocks (the same words in C# and CUDA C).</summary>
internal static class LayerText
{
    /// <summary>"LSTM(32, bidirectional, sequences)": a recurrent layer as the code comments name it.</summary>
    public static string Recurrent(RecurrentLayer r) =>
        $"{r.Kind}({Literals.Int(r.HiddenSize)}{(r.Bidirectional ? ", bidirectional" : "")}{(r.ReturnSequences ? ", sequences" : "")})";

    /// <summary>"2 × (W_ih [8, 128], W_hh [32, 128], b_ih [128], b_hh [128]), forward direction first": a recurrent layer's slices, one block per direction.</summary>
    public static string RecurrentBlocks(LayerPlan lp)
    {
        string Slice(SliceRole role, string name) => $"{name} {ShapeInference.Text(lp.Slice(role)!.Shape)}";
        string block = string.Join(", ", Slice(SliceRole.InputWeight, "W_ih"), Slice(SliceRole.RecurrentWeight, "W_hh"), Slice(SliceRole.InputBias, "b_ih"), Slice(SliceRole.RecurrentBias, "b_hh"));
        return lp.Parameters.Any(s => s.Direction == 1) ? $"2 × ({block}), forward direction first" : block;
    }
}
