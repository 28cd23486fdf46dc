using System;
using System.Collections.Generic;

namespace ModelGen;

public abstract partial class Model
{
    /// <summary>
    /// The names of the terms the <c>[Forward]</c> method adds to the loss with <see cref="AddLoss"/>, in the order written
    /// (empty when it adds none). Fit reports each term's mean per epoch in <see cref="EpochResult.LossTerms"/>.
    /// </summary>
    public virtual IReadOnlyList<string> LossTerms => Array.Empty<string>();

    /// <summary>
    /// Adds a term to the training loss, written in a <c>[Forward]</c> method: the loss becomes the outputs' loss +
    /// Σ <paramref name="weight"/> · (the batch mean of <paramref name="term"/>), and its gradient flows back through
    /// <paramref name="term"/>. A term is one value per sample (reduce with <see cref="Tensor.Sum"/> or
    /// <see cref="Tensor.Mean"/>), e.g. the KL divergence of a VAE or an L1 penalty on an activation. Fit records each
    /// term's unweighted mean per epoch under <paramref name="name"/>; Evaluate's loss includes the weighted terms.
    /// </summary>
    /// <param name="name">The term's name in the training history: a string literal of letters, digits, '_' or '-'.</param>
    /// <param name="term">One value per sample, shape [batch, 1].</param>
    /// <param name="weight">A positive float constant (default 1).</param>
    /// <remarks>
    /// The generator reads the call from the method's syntax; called eagerly (the <c>[Forward]</c> method run as ordinary
    /// C#), it checks the term's shape and does nothing else, since no loss is computed there.
    /// </remarks>
    /// <exception cref="ArgumentException">An eager call with a term that is not one value per sample.</exception>
    protected void AddLoss(string name, Tensor term, float weight = 1f)
    {
        ArgumentNullException.ThrowIfNull(term);
        if (term.Shape.Length != 2 || term.Shape[1] != 1)
            throw new ArgumentException($"Loss term \"{name}\" needs one value per sample ([batch, 1]), but its shape is {term.ShapeText}; reduce it with Tensor.Sum or Tensor.Mean.", nameof(term));
    }

    /// <summary>The batch mean of each loss term in the last training step on the CPU (empty without loss terms).</summary>
    internal ReadOnlySpan<float> LastLossTerms => _graph is null ? default : _graph.LossTermValues;
}
