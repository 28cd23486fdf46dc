using System;
using System.Collections.Generic;
using System.Linq;

namespace ModelGen;

/// <summary>
/// A set of layers with parameters whose elements <see cref="Model.Step(Optimizer, ParameterSubset, float, float, float)"/>
/// updates, leaving the rest of the parameter buffer (and its optimizer state) untouched. Made once by
/// <see cref="Model.SelectLayers"/>; a step with it allocates nothing.
/// </summary>
public sealed class ParameterSubset
{
    private readonly bool[] _selected;
    private readonly ParameterRange[] _ranges;

    internal ParameterSubset(Model model, bool[] selected, IReadOnlyList<string> layers)
    {
        Model = model;
        _selected = selected;
        _ranges = new ParameterRange[selected.Length];
        Layers = layers;
    }

    /// <summary>The model whose layers these are.</summary>
    public Model Model { get; }

    /// <summary>The selected layers' names, in buffer order.</summary>
    public IReadOnlyList<string> Layers { get; }

    /// <summary>The selected layers that are not frozen now, adjacent ones merged, in a buffer this subset owns.</summary>
    internal ReadOnlySpan<ParameterRange> TrainableRanges(IReadOnlyList<ParameterLayer> layers, ReadOnlySpan<bool> frozen)
    {
        int count = 0;
        for (int l = 0; l < layers.Count; l++)
        {
            if (!_selected[l] || frozen[l] || layers[l].Count == 0) continue;
            if (count > 0 && _ranges[count - 1].Start + _ranges[count - 1].Count == layers[l].Offset)
                _ranges[count - 1] = _ranges[count - 1] with { Count = _ranges[count - 1].Count + layers[l].Count };
            else _ranges[count++] = new ParameterRange(layers[l].Offset, layers[l].Count);
        }
        return _ranges.AsSpan(0, count);
    }
}

// The step API: a training step cut into its parts, for schemes Fit does not cover (a GAN's alternating updates, a loss
// computed outside the model, updates of some layers only). ForwardTraining, then OutputLoss or an output gradient of
// one's own, then Backward, then Step, is TrainStep; TrainStep is what Fit runs per batch.
public abstract partial class Model
{
    private int _forwardBatch;

    /// <summary>
    /// The forward pass in training mode (dropout active, BatchNorm on batch statistics and updating its running statistics),
    /// keeping what <see cref="Backward"/> needs. Returns the outputs, batch × <see cref="OutputSize"/>, valid until the next
    /// forward pass of this model. Allocates nothing once the graph for this batch size exists.
    /// </summary>
    /// <param name="inputs">batch × <see cref="InputSize"/> features, row-major.</param>
    /// <param name="batch">Number of samples.</param>
    public ReadOnlySpan<float> ForwardTraining(ReadOnlySpan<float> inputs, int batch)
    {
        var outputs = GraphFor(Math.Max(batch, 1)).TrainingForward(_parameters, inputs, batch);
        CountTrainingForward();
        _forwardBatch = batch;
        return outputs;
    }

    /// <summary>
    /// The model's loss (the mean over the batch, as <see cref="TrainStep"/> computes it) of the last
    /// <see cref="ForwardTraining"/>'s outputs against <paramref name="targets"/>. Its gradient with respect to the outputs
    /// is kept: a following <see cref="Backward"/> without an output gradient starts from it.
    /// </summary>
    /// <param name="targets">batch × <see cref="TargetSize"/> targets.</param>
    /// <param name="batch">The batch of the last <see cref="ForwardTraining"/>.</param>
    /// <exception cref="InvalidOperationException">No <see cref="ForwardTraining"/> of <paramref name="batch"/> samples came before.</exception>
    public float OutputLoss(ReadOnlySpan<float> targets, int batch)
    {
        CheckForwardBatch(batch);
        return _graph!.OutputLoss(targets, batch);
    }

    /// <summary>
    /// The backward pass of the last <see cref="ForwardTraining"/>, which must have run on the same <paramref name="inputs"/>.
    /// Starts from <paramref name="outputGradient"/> (batch × <see cref="OutputSize"/>: d(your loss)/d(outputs)) or, when
    /// that is empty, from the gradient <see cref="OutputLoss"/> kept. Overwrites <see cref="Gradients"/> with
    /// d(loss)/d(parameters) (0 for frozen layers, and for every layer when <paramref name="parameterGradients"/> is false,
    /// which also skips their cost) and, when <paramref name="inputGradient"/> is not empty, fills it with d(loss)/d(inputs)
    /// (batch × <see cref="InputSize"/>). Runs on the CPU. Allocates nothing.
    /// </summary>
    /// <param name="inputs">The inputs of the last <see cref="ForwardTraining"/>.</param>
    /// <param name="batch">Its number of samples.</param>
    /// <param name="outputGradient">d(loss)/d(outputs), or empty for the gradient of <see cref="OutputLoss"/>.</param>
    /// <param name="inputGradient">Receives d(loss)/d(inputs), or empty when not wanted.</param>
    /// <param name="parameterGradients">False to leave the parameter gradients out (they read 0 afterwards).</param>
    /// <exception cref="InvalidOperationException">No <see cref="ForwardTraining"/> of <paramref name="batch"/> samples came before.</exception>
    /// <exception cref="NotSupportedException">An input gradient was asked of a model whose input is token ids (an <c>[Embedding]</c>).</exception>
    public void Backward(ReadOnlySpan<float> inputs, int batch, ReadOnlySpan<float> outputGradient = default,
        Span<float> inputGradient = default, bool parameterGradients = true)
    {
        CheckForwardBatch(batch);
        _graph!.Backward(_parameters, _gradients, inputs, outputGradient, inputGradient, batch, parameterGradients);
    }

    /// <summary>
    /// One optimizer step from <see cref="Gradients"/> on the layers that are not frozen (<see cref="Freeze"/>): the
    /// penalty is added, the gradient clipped, and the parameters updated, exactly as the end of <see cref="TrainStep"/>.
    /// Returns the L1/L2 penalty (0 without <paramref name="l1"/>, <paramref name="l2"/>). Allocates nothing once the
    /// optimizer's state exists.
    /// </summary>
    /// <param name="optimizer">Updates the parameters.</param>
    /// <param name="clipGradientNorm">When positive, the global gradient norm is clipped to it.</param>
    /// <param name="l1">L1 coefficient, as in <see cref="TrainStep"/>.</param>
    /// <param name="l2">L2 coefficient, as in <see cref="TrainStep"/>.</param>
    public float Step(Optimizer optimizer, float clipGradientNorm = 0f, float l1 = 0f, float l2 = 0f)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        GradientPenalty.Check(l1, l2);
        return ApplyUpdate(optimizer, optimizer.LearningRate, clipGradientNorm, l1, l2);
    }

    /// <summary>
    /// One optimizer step, as <see cref="Step(Optimizer, float, float, float)"/>, on the layers of <paramref name="subset"/>
    /// that are not frozen: every other parameter, and its optimizer state, keeps every bit; clipping's norm and the penalty
    /// count the stepped layers only. The optimizer counts one step (Adam's bias correction uses one count for all layers).
    /// </summary>
    /// <param name="optimizer">One of ModelGen's optimizers (they can update part of the buffer).</param>
    /// <param name="subset">Layers of this model, from <see cref="SelectLayers"/>.</param>
    /// <param name="clipGradientNorm">When positive, the global norm of the stepped layers' gradient is clipped to it.</param>
    /// <param name="l1">L1 coefficient, as in <see cref="TrainStep"/>.</param>
    /// <param name="l2">L2 coefficient, as in <see cref="TrainStep"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="subset"/> belongs to another model.</exception>
    /// <exception cref="NotSupportedException"><paramref name="optimizer"/> is not one of ModelGen's, so it updates the whole buffer.</exception>
    public float Step(Optimizer optimizer, ParameterSubset subset, float clipGradientNorm = 0f, float l1 = 0f, float l2 = 0f)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(subset);
        if (!ReferenceEquals(subset.Model, this))
            throw new ArgumentException($"The subset ({string.Join(", ", subset.Layers)}) was selected on another model ({subset.Model.GetType().Name}); select it on this {GetType().Name}.", nameof(subset));
        if (!optimizer.IsBuiltIn)
            throw new NotSupportedException($"{optimizer.GetType().Name} updates the whole parameter buffer; only ModelGen's optimizers (Sgd, Adam, AdamW, RmsProp, Adagrad) step some layers alone.");
        GradientPenalty.Check(l1, l2);
        _ = FrozenFlags;
        return ApplyUpdate(optimizer, optimizer.LearningRate, clipGradientNorm, l1, l2, subset.TrainableRanges(ParameterLayers, _frozen));
    }

    /// <summary>
    /// The named layers, for <see cref="Step(Optimizer, ParameterSubset, float, float, float)"/>: made once, used for every
    /// step. A layer that is frozen when a step runs is left out of that step.
    /// </summary>
    /// <param name="layers">Names of layers with parameters (<see cref="ParameterLayers"/>), or of sub-models (<see cref="Submodels"/>: all of their layers).</param>
    /// <exception cref="ArgumentException">No name was given, or a name is not a layer with parameters (the message lists them).</exception>
    public ParameterSubset SelectLayers(params string[] layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        var known = ParameterLayers;
        if (layers.Length == 0)
            throw new ArgumentException($"Name at least one layer; {GetType().Name}'s layers with parameters are {LayerList(known)}.", nameof(layers));
        var selected = new bool[known.Count];
        foreach (string name in layers)
        {
            MarkLayers(known, name, selected, out bool found);
            if (!found)
                throw new ArgumentException(known.Count == 0
                    ? $"{GetType().Name} has no layers with parameters, so there is no layer '{name}' to select."
                    : $"{GetType().Name} has no layer with parameters named '{name}'; its layers with parameters are {LayerList(known)}.", nameof(layers));
        }
        return new ParameterSubset(this, selected, known.Where((_, l) => selected[l]).Select(l => l.Name).ToArray());
    }

    private void CheckForwardBatch(int batch)
    {
        if (_graph is null || _forwardBatch == 0)
            throw new InvalidOperationException($"Run ForwardTraining on the batch first: {GetType().Name} has no training forward pass to go back through.");
        if (batch != _forwardBatch)
            throw new ArgumentException($"The last ForwardTraining ran on {_forwardBatch} samples; this call says {batch}.", nameof(batch));
    }
}
