using System;

namespace ModelGen.Compute;

// The training pass cut into its parts, for schemes TrainStep does not cover (input gradients, GANs): a training-mode
// forward pass, the loss on its outputs, and the backward pass from the loss's or a given output gradient.
public abstract unsafe partial class ModelGraph<T>
{
    private bool _skipParameterGradients;

    /// <summary>
    /// The first layer whose input cannot carry a gradient (an <c>[Embedding]</c>, whose inputs are token ids), or null when
    /// <see cref="Backward"/> can compute the gradient with respect to the model input.
    /// </summary>
    public virtual string? InputGradientBlocker => null;

    /// <summary>
    /// The forward pass in training mode (dropout active, BatchNorm on batch statistics): what <see cref="TrainStep"/> runs
    /// first, keeping what <see cref="Backward"/> needs. The outputs (batch × <see cref="OutputSize"/>) are valid until the next call.
    /// </summary>
    public ReadOnlySpan<T> TrainingForward(ReadOnlySpan<T> parameters, ReadOnlySpan<T> input, int batch)
    {
        Check(parameters, input, default, batch, needTargets: false);
        fixed (T* p = parameters)
        fixed (T* x = input)
        {
            return new ReadOnlySpan<T>(TrainingForwardCore(p, x, batch), batch * OutputSize);
        }
    }

    /// <summary>
    /// The mean loss of the last <see cref="TrainingForward"/>'s outputs against <paramref name="targets"/>; its gradient with
    /// respect to the outputs is kept for a <see cref="Backward"/> without an output gradient.
    /// </summary>
    public T OutputLoss(ReadOnlySpan<T> targets, int batch)
    {
        if (batch < 1 || batch > MaxBatch)
            throw new ArgumentOutOfRangeException(nameof(batch), batch, $"The batch must be between 1 and {MaxBatch} (this graph's maximum batch).");
        if (targets.Length < batch * TargetSize)
            throw new ArgumentException($"The targets have {targets.Length} elements; a batch of {batch} needs {batch} × {TargetSize} = {batch * TargetSize}.", nameof(targets));
        fixed (T* y = targets) return OutputLossCore(y, batch);
    }

    /// <summary>
    /// The backward pass of the last <see cref="TrainingForward"/> (same <paramref name="input"/> and batch): from
    /// <paramref name="outputGradient"/> (batch × <see cref="OutputSize"/>, d something / d outputs), or, when it is empty,
    /// from the gradient <see cref="OutputLoss"/> kept. Overwrites <paramref name="gradients"/> with the parameter gradients
    /// (0 for frozen layers, and for all layers when <paramref name="parameterGradients"/> is false) and, when
    /// <paramref name="inputGradient"/> is not empty, with the gradient with respect to the input (batch × <see cref="InputSize"/>).
    /// </summary>
    /// <exception cref="NotSupportedException">An input gradient was asked of a model whose input is token ids.</exception>
    public void Backward(ReadOnlySpan<T> parameters, Span<T> gradients, ReadOnlySpan<T> input, ReadOnlySpan<T> outputGradient,
        Span<T> inputGradient, int batch, bool parameterGradients = true)
    {
        Check(parameters, input, default, batch, needTargets: false);
        if (gradients.Length != ParameterCount)
            throw new ArgumentException($"The gradient buffer has {gradients.Length} elements; this model has {ParameterCount} parameters.", nameof(gradients));
        if (!outputGradient.IsEmpty && outputGradient.Length < batch * OutputSize)
            throw new ArgumentException($"The output gradient has {outputGradient.Length} elements; a batch of {batch} needs {batch} × {OutputSize} = {batch * OutputSize}.", nameof(outputGradient));
        if (!inputGradient.IsEmpty)
        {
            if (InputGradientBlocker is { } blocker) throw NoInputGradient(blocker);
            if (inputGradient.Length < batch * InputSize)
                throw new ArgumentException($"The input gradient buffer has {inputGradient.Length} elements; a batch of {batch} needs {batch} × {InputSize} = {batch * InputSize}.", nameof(inputGradient));
        }
        _skipParameterGradients = !parameterGradients;
        try
        {
            fixed (T* p = parameters)
            fixed (T* g = gradients)
            fixed (T* x = input)
            fixed (T* dy = outputGradient)
            fixed (T* dx = inputGradient)
            {
                BackwardCore(p, g, x, dx, dy, batch);
            }
        }
        finally
        {
            _skipParameterGradients = false;
        }
    }

    /// <summary>Why a model with an Embedding has no input gradient.</summary>
    internal static NotSupportedException NoInputGradient(string blocker) => new(
        $"The model's input reaches the Embedding layer '{blocker}' as token ids (whole numbers that pick rows of its table), so no " +
        "gradient with respect to the input is defined.");

    /// <summary>Generated training-mode forward pass; returns the output buffer.</summary>
    protected abstract T* TrainingForwardCore(T* parameters, T* input, int batch);

    /// <summary>Generated loss of the last outputs; writes the outputs' gradient for backward.</summary>
    protected abstract T OutputLossCore(T* targets, int batch);

    /// <summary>
    /// Generated backward pass; <paramref name="outputGrad"/> (null: the loss's) is copied into the outputs' gradients, and
    /// <paramref name="inputGrad"/> (null: not wanted) receives the input's gradient.
    /// </summary>
    protected abstract void BackwardCore(T* parameters, T* gradients, T* input, T* inputGrad, T* outputGrad, int batch);
}
