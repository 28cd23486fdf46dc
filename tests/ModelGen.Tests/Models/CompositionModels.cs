using ModelGen;

namespace ModelGen.Tests.Models;

/// <summary>A small generator: 4 latent numbers → 6 values in 0..1.</summary>
[Model(Input = new[] { 4 }, Loss = Loss.MeanSquaredError)]
public partial class TinyGenerator
{
    [Dense(8, Activation.Tanh)]    private partial Tensor Hidden(Tensor z);
    [Dense(6, Activation.Sigmoid)] private partial Tensor Pixels(Tensor x);
}

/// <summary>A small discriminator: 6 values → one logit.</summary>
[Model(Input = new[] { 6 }, Loss = Loss.BinaryCrossEntropy)]
public partial class TinyDiscriminator
{
    [Dense(5, Activation.LeakyReLU)] private partial Tensor Hidden(Tensor x);
    [Dense(1)]                       private partial Tensor Real(Tensor x);
}

/// <summary>The GAN's generator step as one model: the discriminator judges the generator's output (a chain of two sub-models).</summary>
[Model(Input = new[] { 4 }, Loss = Loss.BinaryCrossEntropy)]
public partial class TinyGan
{
    [Submodel(typeof(TinyGenerator))]     private partial Tensor Generate(Tensor z);
    [Submodel(typeof(TinyDiscriminator))] private partial Tensor Judge(Tensor image);
}

/// <summary>A residual block written with [Forward]: its graph (an addition around two layers) is spliced into a composite.</summary>
[Model(Input = new[] { 6 }, Loss = Loss.MeanSquaredError)]
public partial class ResidualBlockModel
{
    [Dense(6, Activation.Tanh)] private partial Tensor Up(Tensor x);
    [Dense(6)]                  private partial Tensor Down(Tensor x);

    [Forward] private Tensor Forward(Tensor x) => x + Down(Up(x));
}

/// <summary>A composite with layers of its own around a [Forward] sub-model called twice (its layers shared by both calls).</summary>
[Model(Input = new[] { 4 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class StackedNet
{
    [Dense(6, Activation.ReLU)]            private partial Tensor In(Tensor x);
    [Submodel(typeof(ResidualBlockModel))] private partial Tensor Block(Tensor x);
    [Dense(3)]                             private partial Tensor Out(Tensor x);

    [Forward] private Tensor Forward(Tensor x)
    {
        var h = In(x);
        return Out(Block(Block(h)) * 0.5f + h);
    }
}

/// <summary>A composite of a composite: a layer of its own, then the whole GAN.</summary>
[Model(Input = new[] { 3 }, Loss = Loss.BinaryCrossEntropy)]
public partial class NestedGan
{
    [Dense(4)]               private partial Tensor Project(Tensor x);
    [Submodel(typeof(TinyGan))] private partial Tensor Gan(Tensor z);
}
