using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ScottPlot;

namespace ModelGen.Plots;

/// <summary>
/// Training curves of a <see cref="TrainingHistory"/> as one image: loss (training and validation), accuracy (training and
/// validation), each user metric, and the learning rate when it changes, one panel each, the epochs along the bottom.
/// </summary>
public static class TrainingCurves
{
    /// <summary>Colour of the training series in every panel.</summary>
    private static readonly Color TrainColor = Color.FromHex("#1f77b4");

    /// <summary>Colour of the validation series in every panel.</summary>
    private static readonly Color ValidationColor = Color.FromHex("#ff7f0e");

    /// <summary>
    /// Writes the curves of <paramref name="history"/> to <paramref name="path"/>, as PNG or SVG by its extension
    /// (<c>.png</c> or <c>.svg</c>, any letter case), replacing the file. Panels are laid out two to a row, each
    /// <paramref name="panelWidth"/> × <paramref name="panelHeight"/> pixels: loss; accuracy when the model has one (training
    /// accuracy from the epoch's steps, validation accuracy after it); one per user metric (validation, and training where
    /// <see cref="EpochMetric.OnTrainingSet"/> was set); and the learning rate when it is not the same in every epoch.
    /// </summary>
    /// <param name="history">What <see cref="Model.Fit"/> returned (at least one epoch).</param>
    /// <param name="path">The image file; its folder must exist.</param>
    /// <param name="panelWidth">Width of one panel in pixels (100 to 4000).</param>
    /// <param name="panelHeight">Height of one panel in pixels (100 to 4000).</param>
    /// <returns>The panels' titles, in the order drawn (left to right, then top to bottom).</returns>
    /// <exception cref="ArgumentException">The history is empty, the path is empty or names a folder, or its extension is neither .png nor .svg.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A panel size is outside 100 to 4000 pixels.</exception>
    /// <exception cref="DirectoryNotFoundException">The path's folder does not exist.</exception>
    public static IReadOnlyList<string> SaveCurves(this TrainingHistory history, string path, int panelWidth = 640, int panelHeight = 400)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (history.Count == 0)
            throw new ArgumentException("The history has no epochs to draw; Fit with epochs ≥ 1 first.", nameof(history));
        CheckSize(panelWidth, nameof(panelWidth));
        CheckSize(panelHeight, nameof(panelHeight));
        bool svg = Format(path);
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw new ArgumentException($"The curves' path '{path}' is a folder; give a file name ending in .png or .svg.", nameof(path));
        string folder = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"Cannot write the curves to '{path}': the folder '{folder}' does not exist.");

        var panels = Panels(history);
        int columns = Math.Min(2, panels.Count), rows = (panels.Count + columns - 1) / columns;
        var multiplot = new Multiplot();
        multiplot.AddPlots(panels.Count);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(rows, columns);
        for (int i = 0; i < panels.Count; i++) panels[i].Draw(multiplot.GetPlot(i));
        int width = columns * panelWidth, height = rows * panelHeight;
        if (svg) File.WriteAllText(full, Svg(multiplot, panels.Count, columns, panelWidth, panelHeight));
        else multiplot.SavePng(full, width, height);
        return panels.Select(p => p.Title).ToArray();
    }

    private static void CheckSize(int pixels, string name)
    {
        if (pixels is < 100 or > 4000)
            throw new ArgumentOutOfRangeException(name, pixels, "A panel is 100 to 4000 pixels wide and high.");
    }

    /// <summary>True for SVG, false for PNG; anything else is an error naming the extension.</summary>
    private static bool Format(string path)
    {
        string extension = Path.GetExtension(path);
        if (extension.Equals(".svg", StringComparison.OrdinalIgnoreCase)) return true;
        if (extension.Equals(".png", StringComparison.OrdinalIgnoreCase)) return false;
        throw new ArgumentException(extension.Length == 0
            ? $"The curves' path '{path}' has no extension; end it in .png or .svg to choose the format."
            : $"The curves' path '{path}' ends in '{extension}'; the formats are .png and .svg.", nameof(path));
    }

    /// <summary>
    /// The panels as one SVG document: each panel's own SVG placed in its cell (ScottPlot writes one plot per SVG).
    /// </summary>
    private static string Svg(Multiplot multiplot, int count, int columns, int panelWidth, int panelHeight)
    {
        int rows = (count + columns - 1) / columns;
        var svg = new System.Text.StringBuilder();
        svg.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{columns * panelWidth}\" height=\"{rows * panelHeight}\">\n");
        for (int i = 0; i < count; i++)
        {
            string panel = multiplot.GetPlot(i).GetSvgXml(panelWidth, panelHeight);
            // The panel's own root element becomes a nested <svg> positioned in its cell.
            int start = panel.IndexOf("<svg", StringComparison.Ordinal);
            panel = panel[start..].Insert(4, $" x=\"{i % columns * panelWidth}\" y=\"{i / columns * panelHeight}\"");
            svg.Append(panel).Append('\n');
        }
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    /// <summary>One panel: a title, a y-axis label and its series.</summary>
    private sealed record Panel(string Title, string YLabel, IReadOnlyList<Series> Series, bool Legend = true)
    {
        public void Draw(Plot plot)
        {
            foreach (var s in Series)
            {
                var (xs, ys) = s.Points;
                var line = plot.Add.Scatter(xs, ys, s.Color);
                line.LegendText = s.Name;
                line.LineWidth = 2;
                line.MarkerSize = xs.Length <= 40 ? 5 : 0;
            }
            plot.Title(Title);
            plot.XLabel("epoch");
            plot.YLabel(YLabel);
            // Train and validation are told apart by the legend, also where only one of them was recorded; it goes in the
            // corner away from where the curves end (a falling loss ends low, a rising accuracy high).
            if (Legend) plot.ShowLegend(EndsHigh() ? Alignment.LowerRight : Alignment.UpperRight);
        }

        private bool EndsHigh()
        {
            double min = Series.Min(s => s.Values.Min()), max = Series.Max(s => s.Values.Max());
            return Series.Average(s => s.Values[^1]) > (min + max) / 2;
        }
    }

    /// <summary>One curve: the epochs that have a finite value, and those values.</summary>
    private sealed record Series(string Name, Color Color, double[] Epochs, double[] Values)
    {
        public (double[] Xs, double[] Ys) Points => (Epochs, Values);

        public static Series? Of(string name, Color color, TrainingHistory history, Func<EpochResult, float?> value)
        {
            var epochs = new List<double>();
            var values = new List<double>();
            foreach (var e in history)
                if (value(e) is float v && float.IsFinite(v))
                {
                    epochs.Add(e.Epoch);
                    values.Add(v);
                }
            return epochs.Count == 0 ? null : new Series(name, color, epochs.ToArray(), values.ToArray());
        }
    }

    private static List<Panel> Panels(TrainingHistory history)
    {
        var panels = new List<Panel>();
        void Add(string title, string yLabel, params Series?[] series)
        {
            var drawn = series.Where(s => s is not null).Select(s => s!).ToArray();
            if (drawn.Length > 0) panels.Add(new Panel(title, yLabel, drawn, Legend: drawn[0].Name is "train" or "validation"));
        }
        Add("Loss", "loss",
            Series.Of("train", TrainColor, history, e => e.TrainLoss),
            Series.Of("validation", ValidationColor, history, e => e.ValidationLoss));
        Add("Accuracy", "accuracy",
            Series.Of("train", TrainColor, history, e => e.TrainAccuracy),
            Series.Of("validation", ValidationColor, history, e => e.ValidationAccuracy));
        var names = new List<string>();
        foreach (var e in history)
            foreach (var name in e.Metrics.Keys.Concat(e.TrainMetrics.Keys))
                if (!names.Contains(name)) names.Add(name);
        foreach (var name in names)
            Add(name, name,
                Series.Of("train", TrainColor, history, e => e.TrainMetrics.TryGetValue(name, out float v) ? v : null),
                Series.Of("validation", ValidationColor, history, e => e.Metrics.TryGetValue(name, out float v) ? v : null));
        var rates = history.Select(e => e.LearningRate).Where(float.IsFinite).Distinct().Count();
        if (rates > 1) Add("Learning rate", "learning rate", Series.Of("learning rate", TrainColor, history, e => e.LearningRate));
        return panels;
    }
}
