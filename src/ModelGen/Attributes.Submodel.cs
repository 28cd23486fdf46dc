using System;

namespace ModelGen;

/// <summary>
/// Declares a layer that is another ModelGen model of the same project: calling the method runs that model's layers on its
/// tensor, as one part of this model's forward and backward passes. The sub-model's parameters are one block of this
/// model's parameter buffer, and the instance passed to the generated constructor reads and writes that very block, so
/// training the composite trains the instance and the other way round. <c>Freeze("Name")</c> and
/// <c>SelectLayers("Name")</c> take the method's name for all of the sub-model's layers (listed as "Name.Layer").
/// The sub-model takes one input and returns one output; its input shape must equal the shape of the tensor it is given.
/// </summary>
/// <example><code>
/// [Model(Input = new[] { 16 }, Loss = Loss.BinaryCrossEntropy)]
/// public partial class Gan
/// {
///     [Submodel(typeof(Generator))]     private partial Tensor Generate(Tensor z);
///     [Submodel(typeof(Discriminator))] private partial Tensor Judge(Tensor image);
///     // no [Forward]: Judge(Generate(z))
/// }
///
/// var gan = new Gan(generator, discriminator);   // shares their parameters
/// gan.Freeze("Judge");                          // the generator's step leaves the discriminator alone
/// </code></example>
[AttributeUsage(AttributeTargets.Method, Inherited = false, AllowMultiple = false)]
public sealed class SubmodelAttribute : Attribute
{
    /// <summary>Declares a layer that runs the model <paramref name="model"/>.</summary>
    /// <param name="model">A <c>[Model]</c> class of the same project, e.g. <c>typeof(Generator)</c>.</param>
    public SubmodelAttribute(Type model) => Model = model;

    /// <summary>The model this layer runs.</summary>
    public Type Model { get; }
}
