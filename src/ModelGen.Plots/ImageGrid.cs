using System;
using System.IO;
using SkiaSharp;

namespace ModelGen.Plots;

/// <summary>How <see cref="ImageGrid"/> turns a value into a colour.</summary>
public enum ImageColormap
{
    /// <summary>Black for the low end of the range, white for the high end.</summary>
    Gray,

    /// <summary>Black, red, yellow, white from low to high: for saliency and other magnitude maps.</summary>
    Heat,
}

/// <summary>Options of <see cref="ImageGrid.SavePng"/>.</summary>
public sealed record ImageGridOptions
{
    /// <summary>Images per row; 0 picks the smallest count that makes the grid about square.</summary>
    public int Columns { get; init; }

    /// <summary>Screen pixels per image pixel along each axis (1 to 64), so an 8×8 digit is legible.</summary>
    public int Scale { get; init; } = 4;

    /// <summary>Screen pixels of background between neighbouring images (0 to 64).</summary>
    public int Gap { get; init; } = 2;

    /// <summary>The value drawn at the low end of the colormap; null takes the smallest value (of each image with
    /// <see cref="PerImageRange"/>, else of all images). Values below it are drawn as it.</summary>
    public float? Min { get; init; }

    /// <summary>The value drawn at the high end of the colormap; null takes the largest value. Values above it are drawn as it.</summary>
    public float? Max { get; init; }

    /// <summary>Scale each image to its own range instead of the grid's: for maps whose magnitudes differ between images.</summary>
    public bool PerImageRange { get; init; }

    /// <summary>The colours values are drawn with.</summary>
    public ImageColormap Colormap { get; init; } = ImageColormap.Gray;
}

/// <summary>
/// Many small single-channel images (digits, reconstructions, samples of a generator, saliency maps) as one PNG grid.
/// </summary>
public static class ImageGrid
{
    /// <summary>
    /// Writes <paramref name="count"/> images of <paramref name="height"/> × <paramref name="width"/> values, stored one after
    /// another in row-major order in <paramref name="pixels"/>, to <paramref name="path"/> as a PNG grid, left to right then
    /// top to bottom, replacing the file.
    /// </summary>
    /// <param name="path">The PNG file; its folder must exist.</param>
    /// <param name="pixels">At least <c>count · height · width</c> values; non-finite values are refused.</param>
    /// <param name="count">How many images (1 or more).</param>
    /// <param name="height">Rows of one image.</param>
    /// <param name="width">Columns of one image.</param>
    /// <param name="options">Layout, value range and colours; null for the defaults.</param>
    /// <returns>The PNG's width and height in pixels.</returns>
    /// <exception cref="ArgumentException">A size is not positive, <paramref name="pixels"/> is too short or holds a non-finite
    /// value, an option is out of range, or the path is empty, a folder or does not end in .png.</exception>
    /// <exception cref="DirectoryNotFoundException">The path's folder does not exist.</exception>
    public static (int Width, int Height) SavePng(string path, ReadOnlySpan<float> pixels, int count, int height, int width, ImageGridOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new ImageGridOptions();
        if (count < 1) throw new ArgumentException($"The image count must be at least 1; it is {count}.", nameof(count));
        if (height < 1 || width < 1) throw new ArgumentException($"An image must be at least 1 × 1; it is {height} × {width}.", height < 1 ? nameof(height) : nameof(width));
        long needed = (long)count * height * width;
        if (pixels.Length < needed)
            throw new ArgumentException($"{count} images of {height} × {width} need {needed} values; pixels holds {pixels.Length}.", nameof(pixels));
        if (options.Columns < 0) throw new ArgumentException($"Columns must be 0 (automatic) or positive; it is {options.Columns}.", nameof(options));
        if (options.Scale is < 1 or > 64) throw new ArgumentException($"Scale must be 1 to 64; it is {options.Scale}.", nameof(options));
        if (options.Gap is < 0 or > 64) throw new ArgumentException($"Gap must be 0 to 64; it is {options.Gap}.", nameof(options));
        if (options.Min is { } lo && options.Max is { } hi && !(lo < hi))
            throw new ArgumentException($"Min ({lo}) must be below Max ({hi}).", nameof(options));
        if (!path.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"The grid's path '{path}' must end in .png.", nameof(path));
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new ArgumentException($"The grid's path '{path}' is a folder; give a file name ending in .png.", nameof(path));
        string folder = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"Cannot write the grid to '{path}': the folder '{folder}' does not exist.");

        var values = pixels[..(int)needed];
        for (int i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i]))
            {
                int perImage = height * width, image = i / perImage, within = i % perImage;
                throw new ArgumentException($"pixels holds {values[i]} in image {image}, row {within / width}, column {within % width}; every value must be finite.", nameof(pixels));
            }

        int columns = options.Columns > 0 ? Math.Min(options.Columns, count) : (int)Math.Ceiling(Math.Sqrt(count));
        int rows = (count + columns - 1) / columns;
        int scale = options.Scale, gap = options.Gap;
        int gridWidth = columns * width * scale + (columns + 1) * gap, gridHeight = rows * height * scale + (rows + 1) * gap;
        var (gridMin, gridMax) = Range(values);

        using var bitmap = new SKBitmap(gridWidth, gridHeight, SKColorType.Rgba8888, SKAlphaType.Opaque);
        bitmap.Erase(new SKColor(48, 48, 48));
        for (int image = 0; image < count; image++)
        {
            var one = values.Slice(image * height * width, height * width);
            var (min, max) = options.PerImageRange ? Range(one) : (gridMin, gridMax);
            min = options.Min ?? min;
            max = options.Max ?? max;
            float span = max > min ? max - min : 1f;
            int left = gap + image % columns * (width * scale + gap), top = gap + image / columns * (height * scale + gap);
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    var colour = Colour(Math.Clamp((one[y * width + x] - min) / span, 0f, 1f), options.Colormap);
                    for (int dy = 0; dy < scale; dy++)
                        for (int dx = 0; dx < scale; dx++)
                            bitmap.SetPixel(left + x * scale + dx, top + y * scale + dy, colour);
                }
        }

        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        using (var file = File.Create(full)) data.SaveTo(file);
        return (gridWidth, gridHeight);
    }

    private static (float Min, float Max) Range(ReadOnlySpan<float> values)
    {
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        foreach (float v in values) { min = Math.Min(min, v); max = Math.Max(max, v); }
        return (min, max);
    }

    /// <summary>The colour of a value already scaled to [0, 1].</summary>
    private static SKColor Colour(float t, ImageColormap map)
    {
        if (map == ImageColormap.Gray)
        {
            byte g = (byte)MathF.Round(t * 255f);
            return new SKColor(g, g, g);
        }
        // Heat: black → red over the first third, red → yellow over the second, yellow → white over the last.
        float r = Math.Clamp(t * 3f, 0f, 1f), gr = Math.Clamp(t * 3f - 1f, 0f, 1f), b = Math.Clamp(t * 3f - 2f, 0f, 1f);
        return new SKColor((byte)MathF.Round(r * 255f), (byte)MathF.Round(gr * 255f), (byte)MathF.Round(b * 255f));
    }
}
