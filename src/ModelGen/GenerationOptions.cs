using System;

namespace ModelGen;

/// <summary>
/// How an encoder–decoder model's generated <c>Generate</c> picks tokens (as Hugging Face's <c>generate</c> arguments
/// <c>decoder_start_token_id</c>, <c>eos_token_id</c>, <c>do_sample</c>/<c>temperature</c>): greedy by default; with a
/// <see cref="Temperature"/> above 0, sampled from <c>softmax(logits / temperature)</c> with a seeded generator.
/// One instance can serve every call; nothing in it changes while generating.
/// </summary>
/// <example><code>
/// int[] greedy = model.Generate(source, maxLength: 7, new GenerationOptions { StartId = 1, EndId = 2 });
/// int[] sampled = model.Generate(source, maxLength: 7, new GenerationOptions { StartId = 1, EndId = 2, Temperature = 0.8f, Seed = 42 });
/// </code></example>
public sealed class GenerationOptions
{
    private readonly float _temperature;

    /// <summary>Greedy decoding from start id 0, without an end id.</summary>
    public static GenerationOptions Greedy { get; } = new();

    /// <summary>The id the decoder reads at position 0 (the start-of-sequence id the model was trained with); default 0.</summary>
    public int StartId { get; init; }

    /// <summary>The id that ends a sequence: generation stops after writing it. −1 (default): none, every position is generated.</summary>
    public int EndId { get; init; } = -1;

    /// <summary>
    /// 0 (default): greedy, the arg-max at each step (the lowest id among equal logits). Above 0: sampling from
    /// <c>softmax(logits / Temperature)</c>; small values approach greedy, 1 samples the model's own distribution.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative, NaN or infinite.</exception>
    public float Temperature
    {
        get => _temperature;
        init => _temperature = float.IsFinite(value) && value >= 0f ? value
            : throw new ArgumentOutOfRangeException(nameof(Temperature), value, "The temperature must be 0 (greedy) or a finite positive number.");
    }

    /// <summary>Seed of the sampling generator (each call starts it afresh, so the same seed gives the same tokens); unused when greedy.</summary>
    public long Seed { get; init; }
}
