namespace ModelGen.Generators.Tests;

/// <summary>Model declarations shared by the snapshot and incrementality tests.</summary>
internal static partial class SampleModels
{
    public const string DigitsMlp = """
        using ModelGen;

        namespace Samples;

        [Model(Input = new[] { 64 }, Loss = Loss.SoftmaxCrossEntropy)]
        public partial class DigitsMlp
        {
            [Dense(128, Activation.ReLU)] private partial Tensor Hidden(Tensor x);
            [Dense(64, Activation.ReLU)]  private partial Tensor Hidden2(Tensor x);
            [Dense(10)]                   private partial Tensor Logits(Tensor x);
        }
        """;

    public const string ChurnAndSpend = """
        using ModelGen;

        namespace Samples.Graphs;

        [Model]
        [Input("profile", 8)]
        [Input("activity", 12)]
        [Head("churn", Loss.BinaryCrossEntropy, PosWeight = 2f)]
        [Head("spend", Loss.MeanSquaredError, Weight = 0.5f)]
        public partial class ChurnAndSpend
        {
            [Dense(16, Activation.ReLU)] private partial Tensor Activity(Tensor x);
            [Dense(32, Activation.ReLU)] private partial Tensor Trunk(Tensor x);
            [Dense(1)]                   private partial Tensor Churn(Tensor x);
            [Dense(1)]                   private partial Tensor Spend(Tensor x);

            [Forward]
            private (Tensor churn, Tensor spend) Forward(Tensor profile, Tensor activity)
            {
                var h = Trunk(Tensor.Concat(profile, Activity(activity)));
                return (Churn(h), Spend(h));
            }
        }
        """;

    public const string SiameseMatcher = """
        using ModelGen;

        namespace Samples.Graphs;

        [Model(Loss = Loss.Contrastive, Margin = 1.5f)]
        [Input("query", 24)]
        [Input("candidate", 24)]
        public partial class SiameseMatcher
        {
            [Dense(32, Activation.Tanh)] private partial Tensor Hidden(Tensor x);
            [Dense(8)]                   private partial Tensor Embed(Tensor x);

            [Forward]
            private (Tensor query, Tensor candidate) Forward(Tensor query, Tensor candidate) =>
                (Embed(Hidden(query)), Embed(Hidden(candidate)));
        }
        """;

    public const string ResidualRegressor = """
        using ModelGen;

        namespace Samples.Graphs;

        [Model(Input = new[] { 16 }, Loss = Loss.MeanSquaredError)]
        public partial class ResidualRegressor
        {
            [Dense(32, Activation.GELU)]                         private partial Tensor Up(Tensor x);
            [Dense(16, Activation.LeakyReLU, NegativeSlope = 0.1f)] private partial Tensor Down(Tensor x);
            [Dense(16, Activation.Sigmoid)]                      private partial Tensor Gate(Tensor x);
            [Dense(1, Bias = false)]                             private partial Tensor Head(Tensor x);

            [Forward]
            private Tensor Forward(Tensor x)
            {
                var h = x + Down(Up(x));
                h = h * Gate(h);
                return Head(h);
            }
        }
        """;

    public const string NestedBinary = """
        using ModelGen;

        public static partial class Outer
        {
            [Model(Input = new[] { 30 }, Loss = Loss.BinaryCrossEntropy, PosWeight = 1.5f)]
            internal partial class TumourClassifier
            {
                [Dense(16, Activation.Tanh)] internal partial Tensor Hidden(Tensor features);
                [Dense(1)]                   internal partial Tensor Logit(Tensor features);
            }
        }
        """;

    public const string DigitsImage = """
        using ModelGen;

        namespace Samples;

        [Model(Input = new[] { 1, 8, 8 }, Loss = Loss.SoftmaxCrossEntropy)]
        public partial class DigitsImage
        {
            [Flatten]                      private partial Tensor Pixels(Tensor image);
            [Dense(32, Activation.SiLU)]   private partial Tensor Hidden(Tensor x);
            [Dense(10)]                    private partial Tensor Logits(Tensor x);
        }
        """;

    public const string SmallConvNet = """
        using ModelGen;

        namespace Samples.Vision;

        [Model(Input = new[] { 1, 8, 8 }, Loss = Loss.SoftmaxCrossEntropy)]
        public partial class SmallConvNet
        {
            [Conv2d(8, 3, Activation.ReLU, Padding = 1)] private partial Tensor Features(Tensor x);
            [Conv2d(16, 3, Activation.ReLU, Stride = 2, Padding = 1, In = 8)] private partial Tensor Down(Tensor x);
            [Flatten]                                    private partial Tensor Flat(Tensor x);
            [Dense(10)]                                  private partial Tensor Logits(Tensor x);
        }
        """;

    public const string LeNet5 = """
        using ModelGen;

        namespace Samples.Vision;

        [Model(Input = new[] { 1, 28, 28 }, Loss = Loss.SoftmaxCrossEntropy)]
        public partial class LeNet5
        {
            [Conv2d(6, 5, Activation.ReLU, Padding = 2)] private partial Tensor C1(Tensor x);
            [MaxPool2d(2)]                                private partial Tensor P1(Tensor x);
            [Conv2d(16, 5, Activation.ReLU)]              private partial Tensor C2(Tensor x);
            [MaxPool2d(2)]                                private partial Tensor P2(Tensor x);
            [Flatten]                                     private partial Tensor Flat(Tensor x);
            [Dense(120, Activation.ReLU, In = 400)]       private partial Tensor Fc1(Tensor x);
            [Dense(84, Activation.ReLU)]                  private partial Tensor Fc2(Tensor x);
            [Dense(10)]                                   private partial Tensor Logits(Tensor x);
        }
        """;

    public const string RegularisedMlp = """
        using ModelGen;

        namespace Samples;

        [Model(Input = new[] { 30 }, Loss = Loss.BinaryCrossEntropy)]
        public partial class RegularisedMlp
        {
            [Dense(64, Activation.SiLU)] private partial Tensor Hidden(Tensor x);
            [LayerNorm]                  private partial Tensor Norm(Tensor x);
            [Dropout(0.2f)]              private partial Tensor Drop(Tensor x);
            [Dense(1)]                   private partial Tensor Logit(Tensor x);
        }
        """;

    public const string BatchNormCnn = """
        using ModelGen;

        namespace Samples.Vision;

        [Model(Input = new[] { 3, 16, 16 }, Loss = Loss.SoftmaxCrossEntropy)]
        public partial class BatchNormCnn
        {
            [Conv2d(16, 3, SamePadding = true, Bias = false)] private partial Tensor Conv(Tensor x);
            [BatchNorm]                                        private partial Tensor Norm(Tensor x);
            [AvgPool2d(2)]                                     private partial Tensor Pool(Tensor x);
            [GlobalAvgPool]                                    private partial Tensor Gap(Tensor x);
            [Dense(10)]                                        private partial Tensor Logits(Tensor x);
        }
        """;

    public const string Unrelated = """
        namespace Samples;

        public static class Helpers
        {
            public static int Twice(int x) => 2 * x;
        }
        """;
}
