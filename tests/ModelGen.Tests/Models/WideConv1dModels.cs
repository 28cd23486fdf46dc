using ModelGen;

namespace ModelGen.Tests.Models;

/// <summary>
/// Conv1d and GroupNorm at sizes the smaller 1-D models do not reach: groups of 40 values (more than
/// one per lane of a 32-wide warp), more (sample, group) rows and outputs than a small grid covers at
/// once, a GroupNorm over plain features ([8], one value per channel), and a Reshape of the input rows
/// (a view of the input buffer itself).
/// </summary>
[Model(Input = new[] { 160 }, Loss = Loss.MeanSquaredError)]
public partial class WideConv1dNet
{
    [Reshape(4, 40)] private partial Tensor Channels(Tensor x);
    [Conv1d(8, 5, Activation.ReLU, Padding = 2, Groups = 2)] private partial Tensor C1(Tensor x);      // → [8, 40]
    [GroupNorm(8)] private partial Tensor Norm(Tensor x);                                                // one channel of 40 per group
    [Conv1d(6, 4, Activation.GELU, Stride = 2, Padding = 1)] private partial Tensor C2(Tensor x);      // → [6, 20]
    [Flatten] private partial Tensor Flat(Tensor x);
    [Dense(8, Activation.Tanh)] private partial Tensor Hidden(Tensor x);
    [GroupNorm(2)] private partial Tensor FeatureNorm(Tensor x);                                         // [8]: two groups of four values
    [Dense(2)] private partial Tensor Out(Tensor x);
}
