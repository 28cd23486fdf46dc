using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace ModelGen;

/// <summary>
/// A layer with parameters: the name of its layer method and where its parameters lie in <see cref="Model.Parameters"/>.
/// </summary>
/// <param name="Name">The layer method's name, as <see cref="Model.Freeze"/> takes it.</param>
/// <param name="Offset">Its first element in the flat parameter buffer.</param>
/// <param name="Count">Its number of parameters (weights and biases, or γ and β, …).</param>
/// <param name="DeclaredTrainable">False when its attribute says <c>Trainable = false</c>: a new model starts with the layer frozen.</param>
public sealed record ParameterLayer(string Name, int Offset, int Count, bool DeclaredTrainable = true);

/// <summary>A run of trainable elements of the flat parameter buffer.</summary>
/// <param name="Start">First element.</param>
/// <param name="Count">Number of elements.</param>
internal readonly record struct ParameterRange(int Start, int Count);

// Frozen layers: their parameters keep their values while the rest trains (fine-tuning). The flags live here and in the
// graph, whose generated backward pass skips what a frozen layer does not need; the optimizer steps the trainable ranges.
public abstract partial class Model
{
    private bool[]? _frozen;
    private ParameterRange[] _trainableRanges = Array.Empty<ParameterRange>();
    private ParameterRange[] _frozenRanges = Array.Empty<ParameterRange>();

    /// <summary>
    /// The layers that have parameters, in the order of the parameter buffer (layers without parameters, such as pooling
    /// or dropout, are not listed). <see cref="Freeze"/> and <see cref="Unfreeze"/> take these names.
    /// </summary>
    public virtual IReadOnlyList<ParameterLayer> ParameterLayers => Array.Empty<ParameterLayer>();

    /// <summary>The names of the layers whose parameters do not train, in buffer order.</summary>
    public IReadOnlyList<string> FrozenLayers
    {
        get
        {
            var frozen = FrozenFlags;
            var layers = ParameterLayers;
            var names = new List<string>();
            for (int l = 0; l < layers.Count; l++) if (frozen[l]) names.Add(layers[l].Name);
            return names;
        }
    }

    /// <summary>Parameters of the layers that train (<see cref="ParameterCount"/> minus those of <see cref="FrozenLayers"/>).</summary>
    public int TrainableParameterCount
    {
        get
        {
            int count = 0;
            foreach (var range in TrainableRanges) count += range.Count;
            return count;
        }
    }

    /// <summary>
    /// Freezes the named layers (a sub-model's name, see <see cref="Submodels"/>, names all of its layers): <see cref="Fit"/> and <see cref="TrainStep"/> leave their parameters exactly as they are
    /// (no gradient step, no weight decay, no L1/L2 penalty, no momentum), and compute no weight gradient for them (their
    /// <see cref="Gradients"/> are 0). A gradient still flows back through a frozen layer when a layer before it trains.
    /// Clipping's global norm and the L1/L2 penalty count the trainable parameters only. BatchNorm's running statistics
    /// (<see cref="State"/>) still follow the training batches, as in PyTorch (Keras would also switch a frozen BatchNorm to
    /// inference mode; ModelGen does not). Freezing an already frozen layer changes nothing.
    /// </summary>
    /// <param name="layers">Names of layers with parameters (<see cref="ParameterLayers"/>).</param>
    /// <exception cref="ArgumentException">No name was given, or a name is not a layer with parameters (the message lists them).</exception>
    public void Freeze(params string[] layers) => SetFrozen(layers, frozen: true, nameof(layers));

    /// <summary>Lets the named layers (or sub-models) train again (the opposite of <see cref="Freeze"/>; also for layers declared with <c>Trainable = false</c>).</summary>
    /// <param name="layers">Names of layers with parameters (<see cref="ParameterLayers"/>).</param>
    /// <exception cref="ArgumentException">No name was given, or a name is not a layer with parameters (the message lists them).</exception>
    public void Unfreeze(params string[] layers) => SetFrozen(layers, frozen: false, nameof(layers));

    /// <summary>"Trainable params: N" and "Non-trainable params: M", Keras's lines under the total; <see cref="Summary"/> prints them.</summary>
    protected string TrainableParameterLines()
    {
        int trainable = TrainableParameterCount;
        return string.Create(CultureInfo.InvariantCulture, $"Trainable params: {trainable:N0}\nNon-trainable params: {ParameterCount - trainable:N0}\n");
    }

    /// <summary>Per <see cref="ParameterLayers"/> entry: frozen or not; starts as the attributes declare.</summary>
    private bool[] FrozenFlags
    {
        get
        {
            if (_frozen is null)
            {
                var layers = ParameterLayers;
                var frozen = new bool[layers.Count];
                for (int l = 0; l < frozen.Length; l++) frozen[l] = !layers[l].DeclaredTrainable;
                ApplyFrozen(frozen);
            }
            return _frozen!;
        }
    }

    /// <summary>The trainable elements of the parameter buffer, adjacent layers merged; the whole buffer when nothing is frozen.</summary>
    internal ReadOnlySpan<ParameterRange> TrainableRanges
    {
        get
        {
            _ = FrozenFlags;
            return _trainableRanges;
        }
    }

    /// <summary>The elements of the parameter buffer outside <see cref="TrainableRanges"/>: the frozen layers.</summary>
    internal ReadOnlySpan<ParameterRange> FrozenRanges
    {
        get
        {
            _ = FrozenFlags;
            return _frozenRanges;
        }
    }

    /// <summary>Whether any layer is frozen.</summary>
    internal bool HasFrozenLayers => FrozenRanges.Length > 0;

    /// <summary>Replaces the frozen flags (a checkpoint's, or one entry per <see cref="ParameterLayers"/> entry).</summary>
    internal void SetFrozenFlags(ReadOnlySpan<bool> frozen)
    {
        if (frozen.Length != ParameterLayers.Count)
            throw new ArgumentException($"{GetType().Name} has {ParameterLayers.Count} layers with parameters; {frozen.Length} flags were given.", nameof(frozen));
        ApplyFrozen(frozen.ToArray());
    }

    /// <summary>The frozen flags as they are now (a copy), one per <see cref="ParameterLayers"/> entry.</summary>
    internal bool[] FrozenFlagsCopy() => (bool[])FrozenFlags.Clone();

    private void SetFrozen(string[] layers, bool frozen, string argument)
    {
        ArgumentNullException.ThrowIfNull(layers, argument);
        var known = ParameterLayers;
        if (layers.Length == 0)
            throw new ArgumentException($"Name at least one layer to {(frozen ? "freeze" : "unfreeze")}; {GetType().Name}'s layers with parameters are {LayerList(known)}.", argument);
        var flags = FrozenFlagsCopy();
        var named = new bool[known.Count];
        foreach (string name in layers)
        {
            MarkLayers(known, name, named, out bool found);
            if (!found)
                throw new ArgumentException(known.Count == 0
                    ? $"{GetType().Name} has no layers with parameters, so there is no layer '{name}' to {(frozen ? "freeze" : "unfreeze")}."
                    : $"{GetType().Name} has no layer with parameters named '{name}'; its layers with parameters are {LayerList(known)}.", argument);
        }
        for (int l = 0; l < named.Length; l++) if (named[l]) flags[l] = frozen;
        ApplyFrozen(flags);
    }

    private static string LayerList(IReadOnlyList<ParameterLayer> layers) =>
        layers.Count == 0 ? "none" : string.Join(", ", layers.Select(l => l.Name));

    /// <summary>Takes <paramref name="frozen"/> (owned from now on), recomputes the trainable ranges and tells the graph.</summary>
    private void ApplyFrozen(bool[] frozen)
    {
        _frozen = frozen;
        var layers = ParameterLayers;
        var ranges = new List<ParameterRange>();
        if (layers.Count == 0)
        {
            if (_parameters.Count > 0) ranges.Add(new ParameterRange(0, _parameters.Count));
        }
        else
        {
            for (int l = 0; l < layers.Count; l++)
            {
                if (frozen[l] || layers[l].Count == 0) continue;
                if (ranges.Count > 0 && ranges[^1].Start + ranges[^1].Count == layers[l].Offset)
                    ranges[^1] = ranges[^1] with { Count = ranges[^1].Count + layers[l].Count };
                else ranges.Add(new ParameterRange(layers[l].Offset, layers[l].Count));
            }
        }
        _trainableRanges = ranges.ToArray();
        var gaps = new List<ParameterRange>();
        int next = 0;
        foreach (var range in _trainableRanges)
        {
            if (range.Start > next) gaps.Add(new ParameterRange(next, range.Start - next));
            next = range.Start + range.Count;
        }
        if (next < _parameters.Count) gaps.Add(new ParameterRange(next, _parameters.Count - next));
        _frozenRanges = gaps.ToArray();
        _graph?.SetFrozenLayers(frozen);
    }
}
