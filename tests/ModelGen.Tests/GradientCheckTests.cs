using System;
using ModelGen.Compute;
using ModelGen.Tests.Models;
using Xunit;

namespace ModelGen.Tests;

/// <summary>
/// Analytic gradients of the generated training step against central differences, in float64:
/// eps 1e-6, |analytic − numeric| ≤ 1e-5 + 1e-3·|numeric| for every parameter.
/// </summary>
public class GradientCheckTests
{
    private const double Eps = 1e-6, Atol = 1e-5, Rtol = 1e-3;

    public static TheoryData<string> Models => new()
    {
        nameof(ReluNet), nameof(LeakyReluNet), nameof(GeluNet), nameof(GeluExactNet), nameof(SiluNet), nameof(SigmoidNet), nameof(TanhNet),
        nameof(MseNet), nameof(BceNet), nameof(GraphNet), nameof(FlattenNet), nameof(FlattenGraphNet),
        nameof(ConvNet), nameof(ConvResidualNet), nameof(PoolNet), nameof(NormDropoutNet), nameof(MaeNet), nameof(HuberNet), nameof(BatchNormNet),
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void AnalyticGradientsMatchCentralDifferences(string model)
    {
        (ModelGraph<double> graph, double[] parameters) = model switch
        {
            nameof(ReluNet) => Create(new ReluNet.Graph<double>(4), ReluNet.TotalParameters, ReluNet.Initialize),
            nameof(LeakyReluNet) => Create(new LeakyReluNet.Graph<double>(4), LeakyReluNet.TotalParameters, LeakyReluNet.Initialize),
            nameof(GeluNet) => Create(new GeluNet.Graph<double>(4), GeluNet.TotalParameters, GeluNet.Initialize),
            nameof(GeluExactNet) => Create(new GeluExactNet.Graph<double>(4), GeluExactNet.TotalParameters, GeluExactNet.Initialize),
            nameof(SiluNet) => Create(new SiluNet.Graph<double>(4), SiluNet.TotalParameters, SiluNet.Initialize),
            nameof(SigmoidNet) => Create(new SigmoidNet.Graph<double>(4), SigmoidNet.TotalParameters, SigmoidNet.Initialize),
            nameof(TanhNet) => Create(new TanhNet.Graph<double>(4), TanhNet.TotalParameters, TanhNet.Initialize),
            nameof(MseNet) => Create(new MseNet.Graph<double>(4), MseNet.TotalParameters, MseNet.Initialize),
            nameof(BceNet) => Create(new BceNet.Graph<double>(4), BceNet.TotalParameters, BceNet.Initialize),
            nameof(GraphNet) => Create(new GraphNet.Graph<double>(4), GraphNet.TotalParameters, GraphNet.Initialize),
            nameof(FlattenNet) => Create(new FlattenNet.Graph<double>(4), FlattenNet.TotalParameters, FlattenNet.Initialize),
            nameof(FlattenGraphNet) => Create(new FlattenGraphNet.Graph<double>(4), FlattenGraphNet.TotalParameters, FlattenGraphNet.Initialize),
            nameof(ConvNet) => Create(new ConvNet.Graph<double>(4), ConvNet.TotalParameters, ConvNet.Initialize),
            nameof(NormDropoutNet) => Create(new NormDropoutNet.Graph<double>(4), NormDropoutNet.TotalParameters, NormDropoutNet.Initialize),
            nameof(BatchNormNet) => Create(new BatchNormNet.Graph<double>(4), BatchNormNet.TotalParameters, BatchNormNet.Initialize),
            nameof(MaeNet) => Create(new MaeNet.Graph<double>(4), MaeNet.TotalParameters, MaeNet.Initialize),
            nameof(HuberNet) => Create(new HuberNet.Graph<double>(4), HuberNet.TotalParameters, HuberNet.Initialize),
            nameof(PoolNet) => Create(new PoolNet.Graph<double>(4), PoolNet.TotalParameters, PoolNet.Initialize),
            nameof(ConvResidualNet) => Create(new ConvResidualNet.Graph<double>(4), ConvResidualNet.TotalParameters, ConvResidualNet.Initialize),
            _ => throw new ArgumentException(model),
        };
        Check(model, graph, parameters, binaryTargets: model == nameof(BceNet));
    }

    /// <summary>Compares every parameter's analytic gradient with central differences on a batch of 4 random samples.</summary>
    internal static void Check(string model, ModelGraph<double> graph, double[] parameters, bool binaryTargets = false)
    {
        const int batch = 4;
        var rng = new Rng(123);
        var input = new double[batch * graph.InputSize];
        for (int i = 0; i < input.Length; i++) input[i] = rng.NextGaussian();
        var targets = new double[batch * graph.TargetSize];
        for (int i = 0; i < targets.Length; i++)
            targets[i] = graph.TargetSize == 1 && graph.OutputSize > 1 ? rng.NextInt(graph.OutputSize)   // class index
                : binaryTargets ? rng.NextInt(2)                                                          // 0/1 label
                : rng.NextGaussian();                                                                       // regression
        AssertGradientsMatch(model, graph, parameters, input, targets, batch, rng);
    }

    /// <summary>
    /// Every parameter's analytic gradient from the generated training step against central differences of the
    /// training-mode loss; the parameters are first moved off their initial values (biases start at zero).
    /// </summary>
    internal static void AssertGradientsMatch(string model, ModelGraph<double> graph, double[] parameters, double[] input, double[] targets, int batch, Rng rng)
    {
        // Biases start at zero; move them off zero so their gradients are not a special case.
        for (int i = 0; i < parameters.Length; i++) parameters[i] += 0.1 * rng.NextGaussian();
        Check(model, graph, parameters, input, targets, batch);
    }

    /// <summary>
    /// Compares the training step's gradient of every parameter with central differences of the training-mode
    /// loss; parameters for which <paramref name="noGradient"/> holds must instead get exactly 0 (e.g. an embedding's padding row).
    /// </summary>
    internal static void Check(string model, ModelGraph<double> graph, double[] parameters, double[] input, double[] targets, int batch, Func<int, bool>? noGradient = null)
    {
        // Every evaluation restarts the random stream, so dropout draws the same mask each time and
        // the training-mode loss is a deterministic function of the parameters.
        double TrainingLoss()
        {
            graph.SetRandomSeed(99);
            return graph.TrainingLoss(parameters, input, targets, batch);
        }
        var gradients = new double[parameters.Length];
        graph.SetRandomSeed(99);
        double loss = graph.TrainStep(parameters, gradients, input, targets, batch);
        Assert.Equal(loss, TrainingLoss(), 12);

        int checkedCount = 0;
        for (int i = 0; i < parameters.Length; i++)
        {
            checkedCount++;
            if (noGradient?.Invoke(i) == true)
            {
                Assert.True(gradients[i] == 0, $"{model}: parameter {i} must get no gradient, but got {gradients[i]:G10}");
                continue;
            }
            double original = parameters[i];
            parameters[i] = original + Eps;
            double plus = TrainingLoss();
            parameters[i] = original - Eps;
            double minus = TrainingLoss();
            parameters[i] = original;
            double numeric = (plus - minus) / (2 * Eps);
            double error = Math.Abs(gradients[i] - numeric);
            Assert.True(error <= Atol + Rtol * Math.Abs(numeric),
                $"{model}: parameter {i}: analytic {gradients[i]:G10}, numeric {numeric:G10}, error {error:G3}");
        }
        Assert.Equal(graph.ParameterCount, checkedCount);
        Assert.Contains(gradients, g => g != 0);
    }

    internal static (ModelGraph<double>, double[]) Create(ModelGraph<double> graph, int count, InitializeAction initialize)
    {
        var parameters = new double[count];
        initialize(parameters, 7);
        return (graph, parameters);
    }

    internal delegate void InitializeAction(Span<double> parameters, int seed);
}
