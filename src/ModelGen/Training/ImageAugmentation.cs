using System;
using ModelGen.Compute;

namespace ModelGen;

/// <summary>
/// Seeded image augmentation for <see cref="Model.Fit"/>'s <c>augment</c>: every training row, as Fit stages it for a step,
/// is flipped left–right with probability ½ (<see cref="HorizontalFlip"/>), shifted by up to <see cref="MaxShift"/> pixels
/// each way with zero padding (a padded crop), and given Gaussian noise of standard deviation <see cref="Noise"/>. The
/// dataset's own features are never changed, and validation, <see cref="Model.Evaluate"/> and prediction never see
/// augmented rows. Each row's draws come from Fit's seed, the epoch and the row: the same seed gives the same rows.
/// </summary>
/// <param name="channels">Channels of each image.</param>
/// <param name="height">Rows of pixels.</param>
/// <param name="width">Pixels per row.</param>
/// <example><code>
/// model.Fit(train, augment: new ImageAugmentation(1, 8, 8) { HorizontalFlip = true, MaxShift = 1, Noise = 0.05f });
/// </code></example>
public sealed class ImageAugmentation(int channels, int height, int width)
{
    /// <summary>Channels of each image (features are channel-major: channel, row, column).</summary>
    public int Channels { get; } = channels > 0 ? channels : throw new ArgumentOutOfRangeException(nameof(channels), channels, "An image has at least one channel.");

    /// <summary>Rows of pixels.</summary>
    public int Height { get; } = height > 0 ? height : throw new ArgumentOutOfRangeException(nameof(height), height, "An image is at least one pixel high.");

    /// <summary>Pixels per row.</summary>
    public int Width { get; } = width > 0 ? width : throw new ArgumentOutOfRangeException(nameof(width), width, "An image is at least one pixel wide.");

    /// <summary>Mirror left–right with probability ½.</summary>
    public bool HorizontalFlip { get; init; }

    /// <summary>Largest shift in pixels, drawn uniformly in −MaxShift…MaxShift for each axis; vacated pixels become 0.</summary>
    public int MaxShift { get; init; }

    /// <summary>Standard deviation of the Gaussian noise added to every feature (0: none).</summary>
    public float Noise { get; init; }

    /// <summary>Features per image.</summary>
    internal int Size => Channels * Height * Width;

    /// <summary>Fit's checks against the model and data.</summary>
    internal void Check(Model model)
    {
        if (MaxShift < 0) throw new ArgumentException($"MaxShift is {MaxShift}; it must be ≥ 0.", "augment");
        if (!float.IsFinite(Noise) || Noise < 0) throw new ArgumentException($"Noise is {Noise}; it must be a finite number ≥ 0.", "augment");
        if ((long)Channels * Height * Width != model.InputSize)
            throw new ArgumentException($"The augmentation's images are {Channels}×{Height}×{Width} = {(long)Channels * Height * Width} features, but {model.GetType().Name} takes {model.InputSize}.", "augment");
    }

    /// <summary>What a checkpoint records of it (a resumed Fit must augment alike).</summary>
    internal string Describe() => $"{Channels}x{Height}x{Width} flip {Optimizer.Text(HorizontalFlip)} shift {MaxShift} noise {Optimizer.Text(Noise)}";
}

/// <summary>Applies an <see cref="ImageAugmentation"/> to staged rows in place; allocates its scratch image once.</summary>
internal sealed class ImageAugmenter(ImageAugmentation augmentation, int seed)
{
    private readonly float[] _scratch = new float[augmentation.Size];
    private const long AugmentStream = 0x4155_4700_0000_0000; // apart from the streams of shuffling, sampling and dropout

    /// <summary>The epoch (1-based) whose rows are staged next.</summary>
    public int Epoch { get; set; }

    /// <summary>Augments <paramref name="image"/>, the features of training row <paramref name="row"/>.</summary>
    public void Apply(Span<float> image, int row)
    {
        var a = augmentation;
        var rng = new Rng(seed, AugmentStream + ((long)Epoch << 32) + row);
        bool flip = a.HorizontalFlip && (rng.NextUInt64() >> 63) == 1;
        int dy = a.MaxShift == 0 ? 0 : rng.NextInt(2 * a.MaxShift + 1) - a.MaxShift;
        int dx = a.MaxShift == 0 ? 0 : rng.NextInt(2 * a.MaxShift + 1) - a.MaxShift;
        if (flip || dx != 0 || dy != 0)
        {
            image.CopyTo(_scratch);
            int h = a.Height, w = a.Width;
            for (int c = 0; c < a.Channels; c++)
                for (int y = 0; y < h; y++)
                    for (int x = 0; x < w; x++)
                    {
                        // Output pixel (y, x) takes the source pixel shifted back, mirrored when flipping.
                        int sy = y - dy, sx = x - dx;
                        if (flip) sx = w - 1 - sx;
                        image[(c * h + y) * w + x] = (uint)sy < (uint)h && (uint)sx < (uint)w ? _scratch[(c * h + sy) * w + sx] : 0f;
                    }
        }
        if (a.Noise > 0)
            for (int i = 0; i < image.Length; i++) image[i] += (float)(rng.NextGaussian() * a.Noise);
    }
}
