using System;
using ModelGen;

namespace DigitsCnn;

/// <summary>
/// Shift augmentation for small images: a new writer's digit sits a pixel off where the training
/// writers put theirs far more often than it looks different, so every training image is also shown
/// moved by each offset up to a radius. Deterministic: no random choice is involved.
/// </summary>
public static class ImageShifts
{
    /// <summary>
    /// Every row of <paramref name="data"/> once per offset (dy, dx) with |dy|, |dx| ≤ <paramref name="radius"/>,
    /// offset-major (dy, then dx, from −radius up; the unshifted copy is the middle block), same labels.
    /// Pixels moved in from outside the image are 0.
    /// </summary>
    /// <param name="data">Classification rows whose features are [channels, height, width] images.</param>
    /// <param name="height">Image height.</param>
    /// <param name="width">Image width.</param>
    /// <param name="radius">Largest shift in pixels along each axis (≥ 0); (2·radius + 1)² copies in all.</param>
    /// <exception cref="ArgumentException">The feature count is not a whole number of height × width planes.</exception>
    public static Dataset AllShifts(Dataset data, int height, int width, int radius = 1)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegative(radius);
        int plane = height * width;
        if (plane <= 0 || data.FeatureCount % plane != 0)
            throw new ArgumentException($"{data.FeatureCount} features are not whole {height}×{width} planes.", nameof(data));
        if (data.TargetWidth != 1)
            throw new ArgumentException("Expected one class label per row.", nameof(data));

        int side = 2 * radius + 1, rows = data.Count, features = data.FeatureCount;
        var shifted = new float[(long)side * side * rows * features];
        var labels = new int[side * side * rows];
        int copy = 0;
        for (int dy = -radius; dy <= radius; dy++)
        for (int dx = -radius; dx <= radius; dx++, copy++)
        {
            for (int r = 0; r < rows; r++)
            {
                int target = copy * rows + r;
                labels[target] = data.Label(r);
                var source = data.Features.AsSpan(r * features, features);
                var destination = shifted.AsSpan(target * features, features);
                for (int p = 0; p < features; p += plane)
                for (int y = 0; y < height; y++)
                {
                    int fromY = y - dy;
                    if (fromY < 0 || fromY >= height) continue;
                    for (int x = 0; x < width; x++)
                    {
                        int fromX = x - dx;
                        if (fromX >= 0 && fromX < width) destination[p + y * width + x] = source[p + fromY * width + fromX];
                    }
                }
            }
        }
        return Dataset.ForClassification(shifted, features, labels, data.ClassCount);
    }
}
