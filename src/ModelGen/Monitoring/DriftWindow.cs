using System;
using System.Collections.Generic;
using ModelGen.Data;

namespace ModelGen.Monitoring;

/// <summary>Receives a window's values feature by feature, row by row, after they were checked.</summary>
internal interface IWindowSink
{
    void AddNumber(int feature, double value);

    void AddLevel(int feature, int level);

    void AddUnseen(int feature, string level);

    void EndRow();
}

/// <summary>A window gathered per feature, ready to compare: numeric values, and counts per training level and per unseen level.</summary>
internal sealed class WindowData : IWindowSink
{
    private readonly List<double>?[] _numbers;
    private readonly long[]?[] _levels;
    private readonly Dictionary<string, long>?[] _unseen;

    public WindowData(DriftMonitor monitor, int expectedRows)
    {
        var features = monitor.References;
        _numbers = new List<double>?[features.Count];
        _levels = new long[]?[features.Count];
        _unseen = new Dictionary<string, long>?[features.Count];
        for (int j = 0; j < features.Count; j++)
        {
            if (features[j] is CategoricalReference c)
            {
                _levels[j] = new long[c.Levels.Length];
                _unseen[j] = new Dictionary<string, long>(StringComparer.Ordinal);
            }
            else _numbers[j] = new List<double>(expectedRows);
        }
    }

    public int Rows { get; private set; }

    public void AddNumber(int feature, double value) => _numbers[feature]!.Add(value);

    public void AddLevel(int feature, int level) => _levels[feature]![level]++;

    public void AddUnseen(int feature, string level)
    {
        var unseen = _unseen[feature]!;
        unseen[level] = unseen.GetValueOrDefault(level) + 1;
    }

    public void EndRow() => Rows++;

    public double[] Numbers(int feature) => _numbers[feature]!.ToArray();

    public long[] LevelCounts(int feature) => _levels[feature]!;

    public Dictionary<string, long> Unseen(int feature) => _unseen[feature]!;
}

/// <summary>
/// A sliding window over the most recent live rows of a service, compared with the training data on demand. Rows go in
/// with <see cref="Add(ReadOnlySpan{double})"/> or <see cref="Add(Table)"/>; once <see cref="Capacity"/> rows are held,
/// each new row replaces the oldest. <see cref="Check"/> compares the rows held now.
/// </summary>
/// <remarks>
/// Thread safety: every member may be called from several threads at once (one lock; <see cref="Check"/> copies the
/// rows under it and computes outside it). Memory: 8 bytes per feature per row of capacity, plus a reference per
/// categorical value for levels unseen in training.
/// </remarks>
public sealed class DriftWindow
{
    private readonly DriftMonitor _monitor;
    private readonly int _width;
    private readonly double[] _values;       // capacity × width; a categorical value is its training level index, or −1 when unseen
    private readonly string?[]? _unseen;     // the unseen level behind a −1, for monitors with categorical features
    private readonly object _gate = new();
    private int _next;                       // the slot the next row goes to
    private int _count;
    private long _added;

    internal DriftWindow(DriftMonitor monitor, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _monitor = monitor;
        _width = monitor.Features.Count;
        Capacity = capacity;
        _values = new double[checked(capacity * _width)];
        bool anyCategorical = false;
        foreach (var f in monitor.Features) anyCategorical |= f.Kind == DriftFeatureKind.Categorical;
        if (anyCategorical) _unseen = new string?[_values.Length];
    }

    /// <summary>The monitor the window checks against.</summary>
    public DriftMonitor Monitor => _monitor;

    /// <summary>The most rows the window holds.</summary>
    public int Capacity { get; }

    /// <summary>The rows held now (at most <see cref="Capacity"/>).</summary>
    public int Count
    {
        get { lock (_gate) return _count; }
    }

    /// <summary>The rows added since the window was made or cleared, including those that slid out.</summary>
    public long TotalAdded
    {
        get { lock (_gate) return _added; }
    }

    /// <summary>Adds one row in <see cref="DriftMonitor.Features"/> order; a categorical feature's value is the index of its training level.</summary>
    /// <param name="row">One value per monitored feature.</param>
    /// <exception cref="ArgumentException">The row has another number of values, or a value is not finite or not a training level index (the message names the feature). Nothing is added.</exception>
    public void Add(ReadOnlySpan<double> row)
    {
        var staged = new StagedRows(_width);
        lock (_gate)
        {
            _monitor.AddRow(staged, row, _added, nameof(row));
            Append(staged);
        }
    }

    /// <summary>Adds every row of <paramref name="rows"/> (columns matched by name, others ignored; levels unseen in training are kept and reported).</summary>
    /// <param name="rows">Live rows with every monitored column.</param>
    /// <exception cref="ArgumentException">A monitored column is absent or of another type, or a value is missing or not finite (the message names the column and row). Nothing is added.</exception>
    public void Add(Table rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var staged = new StagedRows(_width);
        _monitor.AddTable(staged, rows, nameof(rows));
        lock (_gate) Append(staged);
    }

    /// <summary>Removes every row.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _next = 0;
            _count = 0;
            _added = 0;
            if (_unseen is not null) Array.Clear(_unseen);
        }
    }

    /// <summary>Compares the rows held now with training.</summary>
    /// <exception cref="InvalidOperationException">The window holds no rows yet.</exception>
    public DriftReport Check()
    {
        var data = new WindowData(_monitor, Capacity);
        lock (_gate)
        {
            if (_count == 0) throw new InvalidOperationException("The drift window holds no rows yet; add live rows before checking it.");
            int first = (_next - _count + Capacity) % Capacity;
            for (int i = 0; i < _count; i++)
            {
                int slot = (first + i) % Capacity * _width;
                for (int j = 0; j < _width; j++)
                {
                    double v = _values[slot + j];
                    if (_monitor.Features[j].Kind == DriftFeatureKind.Numeric) data.AddNumber(j, v);
                    else if (v >= 0) data.AddLevel(j, (int)v);
                    else data.AddUnseen(j, _unseen![slot + j]!);
                }
                data.EndRow();
            }
        }
        return _monitor.Evaluate(data, "window");
    }

    private void Append(StagedRows staged)
    {
        int rows = staged.Values.Count / _width;
        // Only the last Capacity rows of a large batch can stay.
        int skip = Math.Max(0, rows - Capacity);
        for (int r = skip; r < rows; r++)
        {
            int slot = _next * _width;
            for (int j = 0; j < _width; j++)
            {
                _values[slot + j] = staged.Values[r * _width + j];
                if (_unseen is not null) _unseen[slot + j] = staged.Unseen[r * _width + j];
            }
            _next = (_next + 1) % Capacity;
            if (_count < Capacity) _count++;
        }
        _added += rows;
    }

    /// <summary>Checked rows waiting to enter the ring, so that a bad row leaves the window as it was.</summary>
    private sealed class StagedRows(int width) : IWindowSink
    {
        public List<double> Values { get; } = new();

        public List<string?> Unseen { get; } = new();

        public void AddNumber(int feature, double value) => Add(value, null);

        public void AddLevel(int feature, int level) => Add(level, null);

        public void AddUnseen(int feature, string level) => Add(-1, level);

        public void EndRow()
        {
            if (Values.Count % width != 0) throw new InvalidOperationException("A staged row is incomplete.");
        }

        private void Add(double value, string? unseen)
        {
            Values.Add(value);
            Unseen.Add(unseen);
        }
    }
}
