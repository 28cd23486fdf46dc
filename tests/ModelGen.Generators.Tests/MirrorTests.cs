using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using ModelGen.FrontEnd;
using Xunit;

namespace ModelGen.Generators.Tests;

/// <summary>
/// The generator cannot reference the runtime, and CUDA C cannot reference C#: the enums they share are copies.
/// These tests fail when a copy drifts from the runtime's (a name, a value, a member added on one side only).
/// </summary>
public class MirrorTests
{
    private static (string Name, int Value)[] Members(Type type) =>
        Enum.GetNames(type).Select(name => (name, Convert.ToInt32(Enum.Parse(type, name)))).OrderBy(m => m.Item2).ToArray();

    [Fact]
    public void ActivationKind_MirrorsTheRuntimeActivation()
    {
        Assert.Equal(Members(typeof(ModelGen.Activation)), Members(typeof(ActivationKind)));
    }

    [Fact]
    public void LayerKind_MirrorsTheRuntimeLayerType()
    {
        // The generated InferenceGraph writes LayerType.<kind name> for every layer.
        Assert.Equal(Members(typeof(ModelGen.Export.LayerType)), Members(typeof(LayerKind)));
    }

    [Fact]
    public void LossKind_MirrorsTheRuntimeLoss()
    {
        Assert.Equal(Members(typeof(ModelGen.Loss)), Members(typeof(LossKind)));
    }

    [Fact]
    public void ElementFunction_MirrorsTheRuntimeElementwiseFunction()
    {
        // Generated code writes ElementwiseFunction.<name> for every element-wise function of [Forward].
        Assert.Equal(Members(typeof(ModelGen.ElementwiseFunction)), Members(typeof(ElementFunction)));
    }

    [Fact]
    public void CudaFn_MirrorsTheRuntimeElementwiseFunction()
    {
        // kernels/arithmetic.cuh: enum class Fn : int { Affine = 0, Exp, ... }; the CUDA emitter writes mg::Fn::<name>.
        Assert.Equal(Members(typeof(ModelGen.ElementwiseFunction)), CudaEnum("arithmetic.cuh", "Fn"));
    }

    [Fact]
    public void CudaAct_MirrorsTheRuntimeActivation()
    {
        // kernels/common.cuh: enum class Act : int { None = 0, ReLU, ... }; the CUDA emitter writes mg::Act::<name>.
        Assert.Equal(Members(typeof(ModelGen.Activation)), CudaEnum("common.cuh", "Act"));
    }

    [Fact]
    public void CudaElementwiseLosses_NameRuntimeLosses()
    {
        // kernels/loss.cuh: enum class Elementwise; the CUDA emitter writes mg::Elementwise::<the loss's name>.
        var losses = Enum.GetNames(typeof(ModelGen.Loss));
        var elementwise = CudaEnum("loss.cuh", "Elementwise");
        Assert.NotEmpty(elementwise);
        Assert.All(elementwise, member => Assert.Contains(member.Name, losses));
        // Every runtime loss is either elementwise on CUDA or has a kernel of its own.
        var ownKernels = new[] { nameof(ModelGen.Loss.SoftmaxCrossEntropy), nameof(ModelGen.Loss.Contrastive) };
        Assert.Equal(losses.OrderBy(n => n), elementwise.Select(m => m.Name).Concat(ownKernels).OrderBy(n => n));
    }

    [Fact]
    public void LayerKind_MirrorsTheRuntimeLayerAttributes()
    {
        // Every attribute on layer methods (AttributeTargets.Method, except [Forward]) is a layer kind of the same name.
        var attributes = typeof(ModelGen.Model).Assembly.GetTypes()
            // [Forward] is the graph, and [Submodel] inlines another model's layers: neither is a layer kind.
            .Where(t => t.Namespace == "ModelGen" && t.IsPublic && typeof(Attribute).IsAssignableFrom(t) && t != typeof(ModelGen.ForwardAttribute) && t != typeof(ModelGen.SubmodelAttribute))
            .Where(t => t.GetCustomAttribute<AttributeUsageAttribute>() is { } usage && usage.ValidOn.HasFlag(AttributeTargets.Method))
            .Select(t => t.Name.Substring(0, t.Name.Length - "Attribute".Length))
            .OrderBy(n => n, StringComparer.Ordinal);
        Assert.Equal(attributes, Enum.GetNames(typeof(LayerKind)).OrderBy(n => n, StringComparer.Ordinal));
        // And the parser reads each of them as its kind, and the other attributes as no layer.
        foreach (var kind in Enum.GetValues(typeof(LayerKind)).Cast<LayerKind>())
        {
            Assert.True(ModelParser.TryGetLayerKind($"ModelGen.{kind}Attribute", out var parsed), $"the parser does not read [{kind}]");
            Assert.Equal(kind, parsed);
        }
        Assert.False(ModelParser.TryGetLayerKind(ModelParser.ForwardAttributeName, out _));
        Assert.False(ModelParser.TryGetLayerKind(ModelParser.ModelAttributeName, out _));
        Assert.False(ModelParser.TryGetLayerKind(ModelParser.SubmodelAttributeName, out _));
    }

    /// <summary>The members of <c>enum class <paramref name="name"/></c> in kernels/<paramref name="header"/>, with their values (C rules: implicit ones count up).</summary>
    private static (string Name, int Value)[] CudaEnum(string header, string name, [CallerFilePath] string testFile = "")
    {
        string path = Path.Combine(Path.GetDirectoryName(testFile)!, "..", "..", "kernels", header);
        string text = File.ReadAllText(path);
        var match = Regex.Match(text, @"enum\s+class\s+" + name + @"\s*:\s*int\s*\{(?<body>[^}]*)\}");
        Assert.True(match.Success, $"kernels/{header} declares no 'enum class {name} : int'");
        int next = 0;
        return match.Groups["body"].Value.Split(',')
            .Select(m => m.Trim()).Where(m => m.Length > 0)
            .Select(m =>
            {
                var parts = m.Split('=');
                if (parts.Length == 2) next = int.Parse(parts[1].Trim(), System.Globalization.CultureInfo.InvariantCulture);
                return (parts[0].Trim(), next++);
            })
            .OrderBy(m => m.Item2).ToArray();
    }
}
