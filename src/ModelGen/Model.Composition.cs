using System;
using System.Collections.Generic;

namespace ModelGen;

/// <summary>
/// A model used as a layer of another (a <c>[Submodel]</c> method): its instance and where its parameters lie in the
/// composite's buffer. The sub-model reads and writes exactly those elements of the composite's
/// <see cref="Model.Parameters"/>, so training either one changes the other.
/// </summary>
/// <param name="Name">The <c>[Submodel]</c> method's name; <see cref="Model.Freeze"/> and <see cref="Model.SelectLayers"/> take it for all of its layers.</param>
/// <param name="Model">The sub-model instance.</param>
/// <param name="ParameterOffset">Its first element in the composite's parameter buffer.</param>
/// <param name="ParameterCount">Its number of parameters.</param>
public sealed record SubmodelBlock(string Name, Model Model, int ParameterOffset, int ParameterCount);

// Composition: a [Submodel] method's layers are the sub-model's layers, inlined by the generator into the composite's graph
// and laid out in one block of its parameter buffer. The sub-model instance is re-pointed at that block (its parameters are
// copied in once, when the composite is made), so both read and write the same floats and no step copies anything.
public abstract partial class Model
{
    private Model? _composite;
    private List<SubmodelBlock>? _submodels;

    /// <summary>
    /// The models used as layers of this one (its <c>[Submodel]</c> methods), in the order of the parameter buffer; empty for a
    /// model without. Each shares its parameters with this model (see <see cref="SubmodelBlock"/>).
    /// </summary>
    public IReadOnlyList<SubmodelBlock> Submodels => _submodels ?? (IReadOnlyList<SubmodelBlock>)Array.Empty<SubmodelBlock>();

    /// <summary>The composite whose parameter buffer holds this model's parameters (it is one of its <see cref="Submodels"/>), or null.</summary>
    public Model? Composite => _composite;

    /// <summary>
    /// Makes <paramref name="submodel"/> read and write its parameters in this model's buffer, from <paramref name="offset"/>
    /// on: the generated constructors call it once per <c>[Submodel]</c> method. With <paramref name="keepValues"/> its
    /// current parameters are copied into the block first (a composite made from trained instances); otherwise the block
    /// keeps what this model's initialisation wrote. Returns <paramref name="submodel"/>.
    /// </summary>
    /// <param name="submodel">The instance; it must not belong to another composite.</param>
    /// <param name="name">The <c>[Submodel]</c> method's name.</param>
    /// <param name="offset">The block's first element in this model's buffer.</param>
    /// <param name="count">The block's size: the sub-model's parameter count.</param>
    /// <param name="keepValues">Copy the sub-model's parameters into the block.</param>
    /// <exception cref="ArgumentNullException"><paramref name="submodel"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The instance already shares its parameters with a composite.</exception>
    protected T AttachSubmodel<T>(T submodel, string name, int offset, int count, bool keepValues) where T : Model
    {
        ArgumentNullException.ThrowIfNull(submodel, name);
        if (submodel._composite is { } other)
            throw new InvalidOperationException(
                $"This {submodel.GetType().Name} already shares its parameters with a {other.GetType().Name}; a model is a sub-model of one composite at a time. " +
                $"Make another {submodel.GetType().Name} for the {GetType().Name}'s '{name}', or copy the parameters over (Parameters.CopyTo).");
        if (submodel.ParameterCount != count || offset < 0 || offset + count > ParameterCount)
            throw new ArgumentException($"{GetType().Name}'s '{name}' holds {count} parameters from offset {offset}, but the {submodel.GetType().Name} has {submodel.ParameterCount}.", nameof(submodel));
        if (keepValues) submodel.Parameters.CopyTo(Parameters.Slice(offset, count));
        submodel._composite = this;
        submodel.MoveParameters(_parameters.Array!, _parameters.Offset + offset);
        (_submodels ??= new List<SubmodelBlock>()).Add(new SubmodelBlock(name, submodel, offset, count));
        return submodel;
    }

    /// <summary>Points this model (and its own sub-models, at their offsets) at <paramref name="buffer"/> from <paramref name="start"/>.</summary>
    private void MoveParameters(float[] buffer, int start)
    {
        _parameters = new ArraySegment<float>(buffer, start, _parameters.Count);
        if (_submodels is null) return;
        foreach (var block in _submodels) block.Model.MoveParameters(buffer, start + block.ParameterOffset);
    }

    /// <summary>
    /// Indices into <paramref name="layers"/> that <paramref name="name"/> names: the layer of that name, or every layer of the
    /// sub-model of that name (its layers are listed as "Name.Layer").
    /// </summary>
    private static void MarkLayers(IReadOnlyList<ParameterLayer> layers, string name, Span<bool> marks, out bool found)
    {
        found = false;
        for (int l = 0; l < layers.Count; l++)
        {
            string layer = layers[l].Name;
            if (layer == name || (layer.Length > name.Length && layer[name.Length] == '.' && layer.StartsWith(name, StringComparison.Ordinal)))
            {
                marks[l] = true;
                found = true;
            }
        }
    }
}
