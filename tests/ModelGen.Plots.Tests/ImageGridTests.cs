using System;
using System.IO;
using ModelGen.Plots;
using SkiaSharp;
using Xunit;

namespace ModelGen.Plots.Tests;

/// <summary>ImageGrid.SavePng: where each image lands, how values become colours, and the errors it gives.</summary>
public sealed class ImageGridTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "modelgen-grid-" + Guid.NewGuid().ToString("N"));

    public ImageGridTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string PathOf(string name) => Path.Combine(_folder, name);

    /// <summary>Five 2×3 images whose value is the image index, plus one bright pixel in image 4.</summary>
    private static float[] FiveImages()
    {
        var pixels = new float[5 * 2 * 3];
        for (int i = 0; i < 5; i++)
            for (int p = 0; p < 6; p++) pixels[i * 6 + p] = i;
        pixels[4 * 6 + 1 * 3 + 2] = 8;   // image 4, row 1, column 2
        return pixels;
    }

    [Fact]
    public void Images_LandLeftToRightThenTopToBottom_ScaledWithGaps()
    {
        string path = PathOf("grid.png");
        var size = ImageGrid.SavePng(path, FiveImages(), 5, 2, 3, new ImageGridOptions { Columns = 3, Scale = 2, Gap = 1 });
        Assert.Equal((3 * 3 * 2 + 4, 2 * 2 * 2 + 3), size);
        using var png = SKBitmap.Decode(path);
        Assert.Equal(size, (png.Width, png.Height));
        // Grid range is 0..8: image i is drawn at i/8 of full brightness.
        byte Level(int image) => png.GetPixel(1 + image % 3 * 7, 1 + image / 3 * 5).Red;
        for (int i = 0; i < 5; i++) Assert.Equal((byte)MathF.Round(i / 8f * 255f), Level(i));
        // Image 4 is row 1, column 1; its bright pixel (row 1, column 2) covers a 2×2 block.
        int left = 1 + 1 * 7 + 2 * 2, top = 1 + 1 * 5 + 1 * 2;
        foreach (var (dx, dy) in new[] { (0, 0), (1, 0), (0, 1), (1, 1) })
            Assert.Equal(new SKColor(255, 255, 255), png.GetPixel(left + dx, top + dy));
        // The sixth cell is empty: background.
        Assert.Equal(new SKColor(48, 48, 48), png.GetPixel(1 + 2 * 7, 1 + 5));
        Assert.Equal(new SKColor(48, 48, 48), png.GetPixel(0, 0));
    }

    [Fact]
    public void PerImageRange_AndFixedRange_ChangeTheLevels()
    {
        string path = PathOf("per.png");
        ImageGrid.SavePng(path, FiveImages(), 5, 2, 3, new ImageGridOptions { Columns = 5, Scale = 1, Gap = 0, PerImageRange = true });
        using (var png = SKBitmap.Decode(path))
        {
            // A constant image has no range: drawn at its low end. Image 4 spans 4..8.
            Assert.Equal(0, png.GetPixel(3, 0).Red);
            Assert.Equal(0, png.GetPixel(12, 0).Red);
            Assert.Equal(255, png.GetPixel(14, 1).Red);
        }
        ImageGrid.SavePng(path, FiveImages(), 5, 2, 3, new ImageGridOptions { Columns = 5, Scale = 1, Gap = 0, Min = 0, Max = 2 });
        using (var png = SKBitmap.Decode(path))
        {
            Assert.Equal(128, png.GetPixel(3, 0).Red);   // 1 of 0..2
            Assert.Equal(255, png.GetPixel(6, 0).Red);   // 2 and above are clamped to white
            Assert.Equal(255, png.GetPixel(9, 0).Red);
        }
    }

    [Fact]
    public void HeatColormap_GoesBlackRedYellowWhite()
    {
        string path = PathOf("heat.png");
        float[] ramp = [0f, 1f / 3f, 2f / 3f, 1f];
        ImageGrid.SavePng(path, ramp, 1, 1, 4, new ImageGridOptions { Scale = 1, Gap = 0, Colormap = ImageColormap.Heat });
        using var png = SKBitmap.Decode(path);
        Assert.Equal(new SKColor(0, 0, 0), png.GetPixel(0, 0));
        Assert.Equal(new SKColor(255, 0, 0), png.GetPixel(1, 0));
        Assert.Equal(new SKColor(255, 255, 0), png.GetPixel(2, 0));
        Assert.Equal(new SKColor(255, 255, 255), png.GetPixel(3, 0));
    }

    [Fact]
    public void BadInput_IsRefusedWithItsName()
    {
        var nan = FiveImages();
        nan[1 * 6 + 4] = float.NaN;
        var e = Assert.Throws<ArgumentException>(() => ImageGrid.SavePng(PathOf("a.png"), nan, 5, 2, 3));
        Assert.Contains("image 1, row 1, column 1", e.Message);
        e = Assert.Throws<ArgumentException>(() => ImageGrid.SavePng(PathOf("a.png"), new float[10], 2, 2, 3));
        Assert.Contains("need 12 values; pixels holds 10", e.Message);
        Assert.Throws<ArgumentException>(() => ImageGrid.SavePng(PathOf("a.jpg"), FiveImages(), 5, 2, 3));
        Assert.Throws<ArgumentException>(() => ImageGrid.SavePng(PathOf("a.png"), FiveImages(), 0, 2, 3));
        Assert.Throws<ArgumentException>(() => ImageGrid.SavePng(PathOf("a.png"), FiveImages(), 5, 2, 3, new ImageGridOptions { Min = 1, Max = 1 }));
        Assert.Throws<ArgumentException>(() => ImageGrid.SavePng(PathOf("a.png"), FiveImages(), 5, 2, 3, new ImageGridOptions { Scale = 0 }));
        Assert.Throws<DirectoryNotFoundException>(() => ImageGrid.SavePng(Path.Combine(_folder, "missing", "a.png"), FiveImages(), 5, 2, 3));
        Assert.False(File.Exists(PathOf("a.png")));
    }
}
