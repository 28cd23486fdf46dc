using System;
using System.Linq;
using ModelGen.Compute;
using ModelGen.Tests.Models;
using Xunit;

namespace ModelGen.Tests;

/// <summary>
/// Gradients with respect to the inputs from the generated backward pass: float64 central differences of the training-mode
/// loss with respect to every input element, on dense, convolutional, pooled, graph, several-input, recurrent and attention-free
/// sequence models; models whose input is token ids refuse with the Embedding's name.
/// </summary>
public class InputGradientTests
{
    private const double Eps = 1e-6, Atol = 1e-7, Rtol = 1e-5;

    public static TheoryData<string> Models => new()
    {
        nameof(ReluNet), nameof(BceNet), nameof(GraphNet), nameof(FlattenNet), nameof(FlattenGraphNet), nameof(ConvNet),
        nameof(ConvResidualNet), nameof(PoolNet), nameof(NormDropoutNet), nameof(TwoInputNet), nameof(MultiHeadNet),
        nameof(ReshapeNet), nameof(LstmBidirectionalSequenceNet), nameof(PoolFirstNet),
        nameof(ArithmeticNet), nameof(SelfDifferenceNet), nameof(ReparameterizedNet), nameof(LossTermNet), nameof(InputArithmeticNet),
        nameof(ConvTransposeNet), nameof(UpsampleNet),
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void InputGradient_MatchesCentralDifferencesOfTheLoss(string name)
    {
        var (model, graph, initialize) = Create(name);
        var parameters = new double[model.ParameterCount];
        initialize(parameters, 7);
        var rng = new Rng(321);
        for (int i = 0; i < parameters.Length; i++) parameters[i] += 0.1 * rng.NextGaussian();
        const int batch = 3;
        var input = new double[batch * graph.InputSize];
        for (int i = 0; i < input.Length; i++) input[i] = rng.NextGaussian();
        var targets = Targets(model, graph, batch, rng);

        graph.SetRandomSeed(5);
        graph.TrainingForward(parameters, input, batch);
        double loss = graph.OutputLoss(targets, batch);
        var gradients = new double[parameters.Length];
        var inputGradient = new double[input.Length];
        graph.Backward(parameters, gradients, input, default, inputGradient, batch);

        double Loss()
        {
            graph.SetRandomSeed(5);
            return graph.TrainingLoss(parameters, input, targets, batch);
        }
        Assert.Equal(loss, Loss(), 12);
        for (int i = 0; i < input.Length; i++)
        {
            double original = input[i];
            input[i] = original + Eps;
            double plus = Loss();
            input[i] = original - Eps;
            double minus = Loss();
            input[i] = original;
            double numeric = (plus - minus) / (2 * Eps);
            double error = Math.Abs(inputGradient[i] - numeric);
            Assert.True(error <= Atol + Rtol * Math.Abs(numeric), $"{name}: input {i}: analytic {inputGradient[i]:G10}, numeric {numeric:G10}, error {error:G3}");
        }
        Assert.Contains(inputGradient, g => g != 0);

        // The parameter gradients of the same pass are TrainStep's, bit for bit: asking for the input's changes nothing else.
        var trainStep = new double[parameters.Length];
        graph.SetRandomSeed(5);
        graph.TrainStep(parameters, trainStep, input, targets, batch);
        Assert.Equal(trainStep, gradients);
    }

    [Theory]
    [InlineData(nameof(ConvNet))]
    [InlineData(nameof(GraphNet))]
    public void AGivenOutputGradient_GivesTheGradientOfThatFunction(string name)
    {
        // f = Σ w·outputs with fixed weights w: d f/d outputs = w, and d f/d inputs from central differences of f.
        var (model, graph, initialize) = Create(name);
        var parameters = new double[model.ParameterCount];
        initialize(parameters, 3);
        var rng = new Rng(8);
        const int batch = 2;
        var input = new double[batch * graph.InputSize];
        for (int i = 0; i < input.Length; i++) input[i] = rng.NextGaussian();
        var weights = new double[batch * graph.OutputSize];
        for (int i = 0; i < weights.Length; i++) weights[i] = rng.NextGaussian();
        double F()
        {
            var outputs = graph.TrainingForward(parameters, input, batch);
            double sum = 0;
            for (int i = 0; i < weights.Length; i++) sum += weights[i] * outputs[i];
            return sum;
        }
        graph.TrainingForward(parameters, input, batch);
        var inputGradient = new double[input.Length];
        var gradients = new double[parameters.Length];
        graph.Backward(parameters, gradients, input, weights, inputGradient, batch, parameterGradients: false);
        Assert.All(gradients, g => Assert.Equal(0, g));
        for (int i = 0; i < input.Length; i++)
        {
            double original = input[i];
            input[i] = original + Eps;
            double plus = F();
            input[i] = original - Eps;
            double minus = F();
            input[i] = original;
            double numeric = (plus - minus) / (2 * Eps);
            Assert.True(Math.Abs(inputGradient[i] - numeric) <= Atol + Rtol * Math.Abs(numeric), $"{name}: input {i}: analytic {inputGradient[i]:G10}, numeric {numeric:G10}");
        }
    }

    [Fact]
    public void TokenIdInputs_HaveNoInputGradient_AndTheMessageNamesTheEmbedding()
    {
        var model = new PositionsNet(seed: 1);
        var ids = new float[2 * model.InputSize];
        var targets = new float[2 * model.TargetSize];
        var error = Assert.Throws<NotSupportedException>(() => model.InputGradient(ids, targets, 2, new float[2 * model.InputSize]));
        Assert.Contains("Embedding layer 'Tokens'", error.Message);
        Assert.Contains("token ids", error.Message);
        Assert.Equal(error.Message, model.InputGradientUnavailableReason);
        Assert.Null(new ConvNet(seed: 1).InputGradientUnavailableReason);

        // The step API's backward still trains such a model; only the input gradient is refused.
        model.ForwardTraining(ids, 2);
        model.OutputLoss(targets, 2);
        model.Backward(ids, 2);
        Assert.Throws<NotSupportedException>(() => model.Backward(ids, 2, inputGradient: new float[2 * model.InputSize]));
    }

    [Fact]
    public void ScoreGradient_IsTheInputGradientOfOneOutputPerSample_AndChangesNoParameterOrGradient()
    {
        var model = new ConvNet(seed: 4);
        var rng = new Rng(2);
        const int batch = 3;
        var x = new float[batch * model.InputSize];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextGaussian();
        var y = new float[batch];
        model.TrainStep(x, y, batch, new Sgd(0.1f));
        var parameters = model.Parameters.ToArray();
        var gradients = model.Gradients.ToArray();

        var saliency = new float[x.Length];
        model.ScoreGradient(x, batch, output: 2, saliency);
        var oneHot = new float[batch * model.OutputSize];
        for (int r = 0; r < batch; r++) oneHot[r * model.OutputSize + 2] = 1f;
        var expected = new float[x.Length];
        model.InputGradientFromOutputs(x, oneHot, batch, expected);
        Assert.Equal(expected, saliency);
        Assert.Contains(saliency, g => g != 0);

        // Asked again into the same buffer: overwritten, not added to.
        model.ScoreGradient(x, batch, output: 2, saliency);
        Assert.Equal(expected, saliency);

        // Sample 1's map does not depend on the other samples.
        var alone = new float[model.InputSize];
        model.ScoreGradient(x.AsSpan(model.InputSize, model.InputSize), 1, 2, alone);
        for (int i = 0; i < alone.Length; i++) Assert.Equal(saliency[model.InputSize + i], alone[i], 5);

        Assert.Equal(parameters, model.Parameters.ToArray());
        Assert.Equal(gradients, model.Gradients.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => model.ScoreGradient(x, batch, output: 3, saliency));
        Assert.Contains("needs 3 × 98 = 294", Assert.Throws<ArgumentException>(() => model.ScoreGradient(x, batch, 0, new float[10])).Message);
    }

    /// <summary>Targets per head: class indices for softmax cross-entropy, 0/1 for binary cross-entropy, normal values otherwise.</summary>
    internal static double[] Targets(Model model, ModelGraph<double> graph, int batch, Rng rng)
    {
        var targets = new double[batch * graph.TargetSize];
        for (int r = 0; r < batch; r++)
            foreach (var head in model.Heads)
                for (int j = 0; j < head.TargetSize; j++)
                    targets[r * graph.TargetSize + head.TargetOffset + j] = head.Loss switch
                    {
                        Loss.SoftmaxCrossEntropy => rng.NextInt(head.OutputSize / head.TargetSize),
                        Loss.BinaryCrossEntropy => rng.NextInt(2),
                        _ => rng.NextGaussian(),
                    };
        return targets;
    }

    private static (Model Model, ModelGraph<double> Graph, GradientCheckTests.InitializeAction Initialize) Create(string name) => name switch
    {
        nameof(ReluNet) => (new ReluNet(), new ReluNet.Graph<double>(4), ReluNet.Initialize),
        nameof(BceNet) => (new BceNet(), new BceNet.Graph<double>(4), BceNet.Initialize),
        nameof(GraphNet) => (new GraphNet(), new GraphNet.Graph<double>(4), GraphNet.Initialize),
        nameof(FlattenNet) => (new FlattenNet(), new FlattenNet.Graph<double>(4), FlattenNet.Initialize),
        nameof(FlattenGraphNet) => (new FlattenGraphNet(), new FlattenGraphNet.Graph<double>(4), FlattenGraphNet.Initialize),
        nameof(ConvNet) => (new ConvNet(), new ConvNet.Graph<double>(4), ConvNet.Initialize),
        nameof(ConvResidualNet) => (new ConvResidualNet(), new ConvResidualNet.Graph<double>(4), ConvResidualNet.Initialize),
        nameof(PoolNet) => (new PoolNet(), new PoolNet.Graph<double>(4), PoolNet.Initialize),
        nameof(NormDropoutNet) => (new NormDropoutNet(), new NormDropoutNet.Graph<double>(4), NormDropoutNet.Initialize),
        nameof(TwoInputNet) => (new TwoInputNet(), new TwoInputNet.Graph<double>(4), TwoInputNet.Initialize),
        nameof(MultiHeadNet) => (new MultiHeadNet(), new MultiHeadNet.Graph<double>(4), MultiHeadNet.Initialize),
        nameof(ReshapeNet) => (new ReshapeNet(), new ReshapeNet.Graph<double>(4), ReshapeNet.Initialize),
        nameof(LstmBidirectionalSequenceNet) => (new LstmBidirectionalSequenceNet(), new LstmBidirectionalSequenceNet.Graph<double>(4), LstmBidirectionalSequenceNet.Initialize),
        nameof(PoolFirstNet) => (new PoolFirstNet(), new PoolFirstNet.Graph<double>(4), PoolFirstNet.Initialize),
        nameof(ArithmeticNet) => (new ArithmeticNet(), new ArithmeticNet.Graph<double>(4), ArithmeticNet.Initialize),
        nameof(SelfDifferenceNet) => (new SelfDifferenceNet(), new SelfDifferenceNet.Graph<double>(4), SelfDifferenceNet.Initialize),
        nameof(ReparameterizedNet) => (new ReparameterizedNet(), new ReparameterizedNet.Graph<double>(4), ReparameterizedNet.Initialize),
        nameof(LossTermNet) => (new LossTermNet(), new LossTermNet.Graph<double>(4), LossTermNet.Initialize),
        nameof(InputArithmeticNet) => (new InputArithmeticNet(), new InputArithmeticNet.Graph<double>(4), InputArithmeticNet.Initialize),
        nameof(ConvTransposeNet) => (new ConvTransposeNet(), new ConvTransposeNet.Graph<double>(4), ConvTransposeNet.Initialize),
        nameof(UpsampleNet) => (new UpsampleNet(), new UpsampleNet.Graph<double>(4), UpsampleNet.Initialize),
        _ => throw new ArgumentException(name),
    };
}
