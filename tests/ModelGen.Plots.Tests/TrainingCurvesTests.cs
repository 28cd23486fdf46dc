using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ModelGen.Plots;
using SkiaSharp;
using Xunit;

namespace ModelGen.Plots.Tests;

/// <summary>TrainingCurves.SaveCurves on histories of known figures: the files it writes and the errors it gives.</summary>
public sealed class TrainingCurvesTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "modelgen-curves-" + Guid.NewGuid().ToString("N"));

    public TrainingCurvesTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string PathOf(string name) => Path.Combine(_folder, name);

    /// <summary>A classifier's history: falling losses, rising accuracies, a user metric, a decaying learning rate.</summary>
    private static TrainingHistory Classifier(bool validation, bool varyingRate = true)
    {
        var history = new TrainingHistory();
        for (int e = 1; e <= 12; e++)
        {
            float loss = 1.5f / e;
            history.Add(new EpochResult(e, loss, validation ? loss * 1.3f + 0.02f * e : null, validation ? 1f - 0.5f / e - 0.01f : null, TimeSpan.FromSeconds(1))
            {
                TrainAccuracy = 1f - 0.5f / e,
                LearningRate = varyingRate ? 0.01f / e : 0.01f,
                Metrics = validation ? new Dictionary<string, float> { ["macro_f1"] = 0.5f + 0.03f * e } : new Dictionary<string, float>(),
            });
        }
        return history;
    }

    private static (int Width, int Height) PngSize(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
        return (BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
    }

    [Fact]
    public void Png_HasOnePanelPerFigure_TwoToARow()
    {
        string path = PathOf("curves.png");
        var titles = Classifier(validation: true).SaveCurves(path, panelWidth: 300, panelHeight: 200);
        Assert.Equal(["Loss", "Accuracy", "macro_f1", "Learning rate"], titles);
        Assert.Equal((600, 400), PngSize(path));

        // Without a varying rate or metrics: loss and accuracy only, one row. A regression history: loss only.
        var constant = Classifier(validation: false, varyingRate: false).SaveCurves(path, 300, 200);
        Assert.Equal(["Loss", "Accuracy"], constant);
        Assert.Equal((600, 200), PngSize(path));
        var regression = new TrainingHistory { new EpochResult(1, 2f, 2.5f, float.NaN, TimeSpan.Zero), new EpochResult(2, 1f, 1.5f, float.NaN, TimeSpan.Zero) };
        Assert.Equal(["Loss"], regression.SaveCurves(path, 300, 200));
        Assert.Equal((300, 200), PngSize(path));
    }

    [Fact]
    public void TheValidationCurves_AreDrawn()
    {
        string with = PathOf("with.png"), without = PathOf("without.png");
        Classifier(validation: true, varyingRate: false).SaveCurves(with, 300, 200);
        var h = Classifier(validation: false, varyingRate: false);
        h.SaveCurves(without, 300, 200);
        using var a = SKBitmap.Decode(with);
        using var b = SKBitmap.Decode(without);
        // The validation colour (#ff7f0e) appears only where validation was drawn.
        static int Orange(SKBitmap bitmap)
        {
            int count = 0;
            for (int y = 0; y < bitmap.Height; y++)
                for (int x = 0; x < bitmap.Width; x++)
                {
                    var c = bitmap.GetPixel(x, y);
                    if (Math.Abs(c.Red - 0xff) < 30 && Math.Abs(c.Green - 0x7f) < 30 && c.Blue < 60) count++;
                }
            return count;
        }
        Assert.True(Orange(a) > 200, $"{Orange(a)} orange pixels with validation");
        Assert.Equal(0, Orange(b));
    }

    [Fact]
    public void Svg_NamesTheSeriesAndAxes()
    {
        string path = PathOf("curves.SVG");
        Classifier(validation: true).SaveCurves(path, 300, 200);
        string svg = File.ReadAllText(path);
        Assert.StartsWith("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"600\" height=\"400\"", svg);
        var doc = System.Xml.Linq.XDocument.Parse(svg);   // well-formed
        Assert.Equal(4, doc.Root!.Elements().Count(e => e.Name.LocalName == "svg"));   // the four panels, nested
        var texts = doc.Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value.Trim()).ToList();
        foreach (string text in new[] { "Loss", "Accuracy", "macro_f1", "Learning rate", "epoch", "loss", "accuracy", "learning rate" })
            Assert.Contains(text, texts);
        // Legends: loss and accuracy have both series, macro_f1 only validation; the learning rate needs none.
        Assert.Equal(2, texts.Count(t => t == "train"));
        Assert.Equal(3, texts.Count(t => t == "validation"));
    }

    [Fact]
    public void BadInput_IsAClearError()
    {
        var empty = Assert.Throws<ArgumentException>(() => new TrainingHistory().SaveCurves(PathOf("x.png")));
        Assert.Contains("no epochs", empty.Message);
        var extension = Assert.Throws<ArgumentException>(() => Classifier(true).SaveCurves(PathOf("x.jpg")));
        Assert.Contains("ends in '.jpg'; the formats are .png and .svg", extension.Message);
        var none = Assert.Throws<ArgumentException>(() => Classifier(true).SaveCurves(PathOf("curves")));
        Assert.Contains("has no extension", none.Message);
        var folder = Assert.Throws<DirectoryNotFoundException>(() => Classifier(true).SaveCurves(Path.Combine(_folder, "missing", "x.png")));
        Assert.Contains("does not exist", folder.Message);
        Directory.CreateDirectory(PathOf("dir.png"));
        var isFolder = Assert.Throws<ArgumentException>(() => Classifier(true).SaveCurves(PathOf("dir.png")));
        Assert.Contains("is a folder", isFolder.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Classifier(true).SaveCurves(PathOf("x.png"), panelWidth: 10));
        Assert.False(File.Exists(PathOf("x.png")));
    }
}
