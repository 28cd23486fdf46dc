using System;

namespace ModelGen;

// Gradients with respect to the inputs (saliency maps, adversarial examples, a generator trained through a discriminator),
// from the generated backward pass: the first layer's data gradient, which training skips, is computed on request.
public abstract partial class Model
{
    private float[] _scratchGradients = Array.Empty<float>();
    private float[] _scoreGradient = Array.Empty<float>();

    /// <summary>
    /// d(loss)/d(inputs): the gradient of the batch's mean loss (the loss <see cref="TrainStep"/> minimises) with respect to
    /// every input element, written to <paramref name="inputGradient"/> (batch × <see cref="InputSize"/>). Returns the loss.
    /// The pass runs in training mode (dropout active, BatchNorm on batch statistics), the one whose backward the model
    /// has; for models without Dropout or BatchNorm that is the function <see cref="Predict(Dataset)"/> computes (BatchNorm's
    /// running statistics in <see cref="State"/> follow the batch, as in a training step). The parameters and
    /// <see cref="Gradients"/> do not change. Runs on the CPU; allocates nothing after the first call for a batch size.
    /// </summary>
    /// <param name="inputs">batch × <see cref="InputSize"/> features, row-major.</param>
    /// <param name="targets">batch × <see cref="TargetSize"/> targets.</param>
    /// <param name="batch">Number of samples.</param>
    /// <param name="inputGradient">Receives batch × <see cref="InputSize"/> values.</param>
    /// <exception cref="NotSupportedException">The model's input is token ids (it reaches an <c>[Embedding]</c>): no gradient is defined.</exception>
    public float InputGradient(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int batch, Span<float> inputGradient)
    {
        CheckInputGradient(inputGradient, batch);
        ForwardTraining(inputs, batch);
        float loss = OutputLoss(targets, batch);
        _graph!.Backward(_parameters, ScratchGradients(), inputs, default, inputGradient, batch, parameterGradients: false);
        return loss;
    }

    /// <summary>
    /// The input gradient for an output gradient of your own: given d(f)/d(outputs) (batch × <see cref="OutputSize"/>), writes
    /// d(f)/d(inputs) to <paramref name="inputGradient"/> (batch × <see cref="InputSize"/>); f may be any function of the
    /// outputs (another model's loss, a score). Training mode, CPU, no change to parameters or <see cref="Gradients"/>, as
    /// <see cref="InputGradient"/>.
    /// </summary>
    /// <param name="inputs">batch × <see cref="InputSize"/> features, row-major.</param>
    /// <param name="outputGradient">batch × <see cref="OutputSize"/> values of d(f)/d(outputs).</param>
    /// <param name="batch">Number of samples.</param>
    /// <param name="inputGradient">Receives batch × <see cref="InputSize"/> values.</param>
    /// <exception cref="NotSupportedException">The model's input is token ids (it reaches an <c>[Embedding]</c>): no gradient is defined.</exception>
    public void InputGradientFromOutputs(ReadOnlySpan<float> inputs, ReadOnlySpan<float> outputGradient, int batch, Span<float> inputGradient)
    {
        CheckInputGradient(inputGradient, batch);
        if (outputGradient.Length < batch * OutputSize)
            throw new ArgumentException($"The output gradient has {outputGradient.Length} elements; a batch of {batch} needs {batch} × {OutputSize} = {batch * OutputSize}.", nameof(outputGradient));
        ForwardTraining(inputs, batch);
        _graph!.Backward(_parameters, ScratchGradients(), inputs, outputGradient, inputGradient, batch, parameterGradients: false);
    }

    /// <summary>
    /// Saliency: for every sample, d(output <paramref name="output"/> of that sample)/d(its inputs), e.g. the gradient of a
    /// class's logit (the score before softmax) with respect to the image. Each row of <paramref name="inputGradient"/>
    /// (batch × <see cref="InputSize"/>) belongs to its sample (samples do not mix unless a BatchNorm layer normalises them
    /// together). Training mode, CPU, no change to parameters or <see cref="Gradients"/>, as <see cref="InputGradient"/>.
    /// </summary>
    /// <param name="inputs">batch × <see cref="InputSize"/> features, row-major.</param>
    /// <param name="batch">Number of samples.</param>
    /// <param name="output">The output column (a class index for a classifier): 0 ≤ output &lt; <see cref="OutputSize"/>.</param>
    /// <param name="inputGradient">Receives batch × <see cref="InputSize"/> values.</param>
    public void ScoreGradient(ReadOnlySpan<float> inputs, int batch, int output, Span<float> inputGradient)
    {
        if ((uint)output >= (uint)OutputSize)
            throw new ArgumentOutOfRangeException(nameof(output), output, $"{GetType().Name} has {OutputSize} outputs per sample; the output must be between 0 and {OutputSize - 1}.");
        CheckInputGradient(inputGradient, batch);
        if (_scoreGradient.Length < batch * OutputSize) _scoreGradient = GC.AllocateArray<float>(batch * OutputSize, pinned: true);
        var seed = _scoreGradient.AsSpan(0, batch * OutputSize);
        seed.Clear();
        for (int r = 0; r < batch; r++) seed[r * OutputSize + output] = 1f;
        InputGradientFromOutputs(inputs, seed, batch, inputGradient);
    }

    /// <summary>Whether <see cref="InputGradient"/> works for this model: null, or why not (the Embedding whose input is token ids).</summary>
    public string? InputGradientUnavailableReason =>
        GraphFor(1).InputGradientBlocker is { } blocker ? Compute.ModelGraph<float>.NoInputGradient(blocker).Message : null;

    private void CheckInputGradient(Span<float> inputGradient, int batch)
    {
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), batch, "The batch must be at least 1.");
        if (GraphFor(batch).InputGradientBlocker is { } blocker) throw Compute.ModelGraph<float>.NoInputGradient(blocker);
        if (inputGradient.Length < batch * InputSize)
            throw new ArgumentException($"The input gradient buffer has {inputGradient.Length} elements; a batch of {batch} needs {batch} × {InputSize} = {batch * InputSize}.", nameof(inputGradient));
    }

    /// <summary>A parameter-sized buffer the input-gradient passes write instead of <see cref="Gradients"/> (allocated once).</summary>
    private float[] ScratchGradients()
    {
        if (_scratchGradients.Length != _parameters.Count) _scratchGradients = GC.AllocateArray<float>(_parameters.Count, pinned: true);
        return _scratchGradients;
    }
}
