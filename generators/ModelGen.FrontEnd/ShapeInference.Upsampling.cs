using System.Collections.Generic;

namespace ModelGen.FrontEnd;

/// <summary>The shape rules of the upsampling layers: [ConvTranspose2d] and [Upsample] on [batch, C, H, W].</summary>
internal static partial class ShapeInference
{
    /// <summary>
    /// [C, H, W] → [filters, H', W'] with H' = (H − 1)·s − 2p + d·(k − 1) + output padding + 1 on each side (MG0109 when
    /// that is below 1); the channels must match In (MG0111) and both channel counts divide into the groups (MG0110).
    /// </summary>
    private static Dim[] InferConvTranspose2d(LayerCall call, ConvTransposeLayer layer)
    {
        var input = call.Input;
        var outChannels = layer.Filters > 0 ? Dim.Known(layer.Filters) : Dim.Unknown;
        var unknown = new[] { Dim.Batch, outChannels, Dim.Unknown, Dim.Unknown };
        if (input.Length == 0) return unknown;
        if (input.Length != 4)
        {
            call.Report("MG0101", call.Where.Target, call.Where.Index, "", layer.Kind.ToString(), layer.Name, SampleText(input));
            return unknown;
        }
        var s = layer.Window;
        var channels = input[1];
        if (channels.IsKnown)
        {
            if (layer.DeclaredIn > 0 && layer.DeclaredIn != channels.Value)
            {
                call.Problems.Add(new ShapeProblem("MG0111", ProblemTarget.LayerArgument, call.Layer, "In",
                    new[] { layer.Name, I(layer.DeclaredIn), I(channels.Value), Describe(call.Spec, call.Source, null) }.ToEquatableArray(), I(channels.Value)));
                return unknown;
            }
            if (channels.Value % s.Groups != 0 || (layer.Filters > 0 && layer.Filters % s.Groups != 0))
            {
                var remainders = new List<string>();
                if (channels.Value % s.Groups != 0) remainders.Add($"{I(channels.Value)} % {I(s.Groups)} = {I(channels.Value % s.Groups)}");
                if (layer.Filters > 0 && layer.Filters % s.Groups != 0) remainders.Add($"{I(layer.Filters)} % {I(s.Groups)} = {I(layer.Filters % s.Groups)}");
                call.Report("MG0110", ProblemTarget.LayerArgument, call.Layer, "Groups", layer.Name, I(channels.Value), I(layer.Filters), I(s.Groups), string.Join(" and ", remainders));
                return unknown;
            }
            if (!call.Learn(channels.Value, layer.Name)) return unknown;
        }
        // Kernel below 1 is MG0004 and output padding the stride and dilation do not allow MG0108: no sizes from them.
        if (s.Kernel < 1 || (layer.OutputPadding >= s.Stride && layer.OutputPadding >= s.Dilation)) return unknown;

        var result = new[] { Dim.Batch, outChannels, Dim.Unknown, Dim.Unknown };
        string[] axis = { "H", "W" };
        for (int a = 0; a < 2; a++)
        {
            var size = input[2 + a];
            if (!size.IsKnown) continue;
            int output = TransposedOutputSize(size.Value, s.Kernel, s.Stride, s.Padding, layer.OutputPadding, s.Dilation);
            if (output < 1)
            {
                // The padding is what removes the rows, so the message is on it.
                call.Report("MG0109", ProblemTarget.LayerArgument, call.Layer, "Padding", layer.Name, $"{axis[a]} = {TransposedArithmetic(size.Value, layer)} = {I(output)}");
                return unknown;
            }
            result[2 + a] = Dim.Known(output);
        }
        return result;
    }

    /// <summary>(in − 1)·stride − 2·padding + dilation·(kernel − 1) + outputPadding + 1, in long arithmetic clamped to int.</summary>
    internal static int TransposedOutputSize(int input, int kernel, int stride, int padding, int outputPadding, int dilation)
    {
        long size = (long)(input - 1) * stride - 2L * padding + (long)dilation * (kernel - 1) + outputPadding + 1;
        return size > int.MaxValue ? int.MaxValue : size < int.MinValue ? int.MinValue : (int)size;
    }

    /// <summary>"(4 − 1)·2 − 2·1 + 1·(3 − 1) + 1 + 1": the output size of one side, every term shown.</summary>
    private static string TransposedArithmetic(int input, ConvTransposeLayer layer)
    {
        var s = layer.Window;
        return $"({I(input)} − 1)·{I(s.Stride)} − 2·{I(s.Padding)} + {I(s.Dilation)}·({I(s.Kernel)} − 1) + {I(layer.OutputPadding)} + 1";
    }

    /// <summary>[C, H, W] → [C, H·scale, W·scale]; other ranks are MG0101.</summary>
    private static Dim[] InferUpsample(LayerCall call, UpsampleLayer layer)
    {
        var input = call.Input;
        if (input.Length == 0) return new[] { Dim.Batch, Dim.Unknown, Dim.Unknown, Dim.Unknown };
        if (input.Length != 4)
        {
            call.Report("MG0101", call.Where.Target, call.Where.Index, "", layer.Kind.ToString(), layer.Name, SampleText(input));
            return new[] { Dim.Batch, Dim.Unknown, Dim.Unknown, Dim.Unknown };
        }
        if (input[1].IsKnown) call.Remember(input[1].Value);
        return new[] { Dim.Batch, input[1], Scaled(input[2], layer.ScaleHeight), Scaled(input[3], layer.ScaleWidth) };
    }

    private static Dim Scaled(Dim size, int scale)
    {
        if (!size.IsKnown) return Dim.Unknown;
        long scaled = (long)size.Value * scale;
        return scaled > int.MaxValue ? Dim.Unknown : Dim.Known((int)scaled);
    }
}
