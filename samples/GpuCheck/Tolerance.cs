using ModelGen.Cuda;

namespace GpuCheck;

/// <summary>
/// |gpu − cpu| ≤ atol + rtol·|cpu| per element for outputs and losses; gradients and parameters the same way in
/// float32, and as a whole in the tensor-core modes (‖gpu − cpu‖₂ ≤ GradientNorm·‖cpu‖₂ for the gradient and for
/// the parameters' displacement over the steps), where a pre-activation
/// within rounding of a ReLU's kink can change sides and move a few gradient elements by their own size.
/// float32 sums in another order (GEMM tiles, reductions) stay within the float32 figures; TF32 rounds GEMM
/// inputs to 10-bit mantissas, BF16 to 7-bit (tests/ModelGen.Cuda.Tests measure both on the host emulation).
/// </summary>
public sealed record Tolerance((double Atol, double Rtol) Outputs, (double Atol, double Rtol) Gradients, (double Atol, double Rtol) Parameters, double? GradientNorm)
{
    /// <summary>The stated tolerances of <paramref name="precision"/> (the tests of the host emulation use the same).</summary>
    public static Tolerance For(MatMulPrecision precision) => precision switch
    {
        MatMulPrecision.TF32 => new Tolerance((5e-3, 1e-2), (0, 0), (0, 0), GradientNorm: 1e-2),
        MatMulPrecision.BF16 => new Tolerance((3e-2, 5e-2), (0, 0), (0, 0), GradientNorm: 1e-1),
        _ => new Tolerance((1e-4, 1e-3), (1e-5, 1e-2), (1e-5, 1e-3), GradientNorm: null),
    };

    /// <summary>The tolerances as printed at the start of a run.</summary>
    public override string ToString() =>
        $"outputs and losses atol {Outputs.Atol:G} rtol {Outputs.Rtol:G}; " +
        (GradientNorm is double g
            ? $"gradients and parameter updates ‖gpu − cpu‖ ≤ {g:G}·‖cpu‖"
            : $"gradients atol {Gradients.Atol:G} rtol {Gradients.Rtol:G}; parameters after steps atol {Parameters.Atol:G} rtol {Parameters.Rtol:G}");
}
