using System;
using ModelGen;
using ModelGen.Compute;

namespace Bench;

/// <summary>The five networks of MODELS.md, as declared in this program, and their synthetic training data.</summary>
public static class BenchmarkModels
{
    /// <summary>The model ids of MODELS.md, in its order.</summary>
    public static readonly string[] Ids = { "digits-mlp", "mnist-mlp", "lenet5", "tiny-transformer", "wide-deep" };

    /// <summary>A new model for <paramref name="id"/> (initialised from seed 0), its benchmark batch size and its class count.</summary>
    /// <exception cref="ArgumentException">The id is not one of <see cref="Ids"/>.</exception>
    public static (Model Model, int Batch, int Classes) Create(string id) => id switch
    {
        "digits-mlp" => (new DigitsMlp(seed: 0), 64, 10),
        "mnist-mlp" => (new MnistMlp(seed: 0), 256, 10),
        "lenet5" => (new LeNet5(seed: 0), 128, 10),
        "tiny-transformer" => (new TinyTransformer(seed: 0), 32, 96),
        "wide-deep" => (new WideDeep(seed: 0), 512, 2),
        _ => throw new ArgumentException($"Unknown model '{id}'; this benchmark has {string.Join(", ", Ids)}.", nameof(id)),
    };

    /// <summary>
    /// One batch of synthetic data from a fixed seed: standard-normal inputs (uniform token ids for a sequence
    /// model, uniform ids of 0…999 for wide-deep's eight categorical inputs) and uniform labels, one per position
    /// for a sequence model. The content does not change speed; training on it repeatedly must lower the loss.
    /// </summary>
    public static (float[] Inputs, float[] Labels) SyntheticBatch(Model model, int batch, int classes, int seed = 0)
    {
        var rng = new Rng(seed);
        bool tokens = model.LabelsPerSample > 1;
        int idColumns = model is WideDeep ? 8 : 0;
        var inputs = new float[batch * model.InputSize];
        for (int i = 0; i < inputs.Length; i++)
            inputs[i] = tokens ? rng.NextInt(classes) : i % model.InputSize < idColumns ? rng.NextInt(1000) : (float)rng.NextGaussian();
        var labels = new float[batch * model.TargetSize];
        for (int i = 0; i < labels.Length; i++) labels[i] = rng.NextInt(classes);
        return (inputs, labels);
    }
}
