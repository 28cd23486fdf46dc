using System;
using System.IO;
using ModelGen.Export;
using ModelGen.Serialization;

namespace ModelGen;

// Export: the inference graph the generator describes (InferenceGraph), rendered as ONNX by Export/OnnxExporter.cs.
public abstract partial class Model
{
    /// <summary>
    /// The inference computation, generated from the declaration: the layers with their options, every value with its
    /// per-sample shape, and the named outputs. <see cref="ExportOnnx(string)"/> renders it; docs/export.md describes it.
    /// </summary>
    public abstract InferenceGraph InferenceGraph { get; }

    /// <summary>
    /// Writes the model's inference graph as an ONNX file (opset 17, IR version 8) that computes what <see cref="Predict(ReadOnlySpan{float}, int, Span{float}, bool)"/>
    /// computes: the first axis of every input and output is a symbolic batch; a model with <c>[Input]</c>s has one input
    /// per declared input, named as declared, and one declared by <c>[Model(Input = …)]</c> has one named "input"; the outputs are
    /// named as <see cref="Heads"/> names them ("output" for a single output). The trained tensors are initializers under
    /// their <see cref="FileLayout"/> names. BatchNorm normalises with its running statistics; Dropout is left out. Token ids
    /// stay float32 inputs, as <c>Predict</c> takes them. The file is replaced atomically.
    /// </summary>
    /// <param name="path">The file, conventionally <c>*.onnx</c>; replaced if it exists.</param>
    /// <exception cref="NotSupportedException">
    /// A layer or mode has no exact ONNX form (masked variable-length sequences); the message names the layer and the
    /// reason, and no file is written.
    /// </exception>
    /// <exception cref="IOException">The file cannot be written; the old file, if any, is unchanged.</exception>
    public void ExportOnnx(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var write = OnnxExporter.Prepare(this);
        AtomicFile.Write(path, write);
    }

    /// <summary>Writes the model's inference graph as ONNX to <paramref name="stream"/>; see <see cref="ExportOnnx(string)"/>.</summary>
    /// <param name="stream">A writable stream; it is not closed.</param>
    /// <exception cref="NotSupportedException">A layer or mode has no exact ONNX form; nothing is written.</exception>
    public void ExportOnnx(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        OnnxExporter.Prepare(this)(stream);
    }
}
