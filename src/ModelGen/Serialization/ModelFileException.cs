using System;
using System.IO;

namespace ModelGen.Serialization;

/// <summary>
/// A model file (weights, checkpoint or preprocessing document) that cannot be read or does not fit the
/// model it is loaded into. The one exception type every reader of <c>ModelGen.Serialization</c> throws for
/// bad input: <see cref="Exception.Message"/> names the file and says what was found and what was expected.
/// A load that fails with it has changed nothing.
/// </summary>
public sealed class ModelFileException : IOException
{
    /// <summary>Creates the exception for <paramref name="path"/> and a description of the problem.</summary>
    /// <param name="path">The file, or a short description of the source when it is not a file (e.g. "a stream").</param>
    /// <param name="problem">What is wrong, e.g. "tensor 'Hidden.weight' has shape [64, 10]; the model expects [128, 64]".</param>
    /// <param name="inner">The exception that revealed the problem, if any.</param>
    public ModelFileException(string path, string problem, Exception? inner = null)
        : base($"'{path}': {problem}", inner)
    {
        FilePath = path;
        Problem = problem;
    }

    /// <summary>The file (or source) that was being read.</summary>
    public string FilePath { get; }

    /// <summary>What is wrong with it, without the file name.</summary>
    public string Problem { get; }
}
