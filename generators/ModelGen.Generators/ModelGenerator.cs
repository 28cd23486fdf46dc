using System;
using System.Collections.Generic;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;
using ModelGen.FrontEnd;
using ModelGen.Generators.Emit;
using ModelGen.Generators.Plan;

namespace ModelGen.Generators;

/// <summary>
/// Turns each [Model] class into its fused CPU and CUDA code. Pipeline: ForAttributeWithMetadataName →
/// <see cref="ModelParser"/> (equatable <see cref="ModelSpec"/>) → <see cref="ShapeInference"/> (equatable
/// <see cref="ShapePlan"/>) → in the output step, one <see cref="ValuePlan"/> rendered by <see cref="CpuEmitter"/>
/// and <see cref="CudaEmitter"/> (a second file per model, <c>*.Cuda.g.cs</c>). docs/architecture.md follows a layer
/// through it. Diagnostics are the analyzers' job; a model with errors keeps its public surface, whose members throw
/// (<see cref="CpuEmitter.EmitInvalid"/>).
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class ModelGenerator : IIncrementalGenerator
{
    /// <summary>Tracking names of the pipeline steps (used by the incrementality tests).</summary>
    public static class Steps
    {
        /// <summary>The parsed model declarations.</summary>
        public const string Specs = "ModelSpecs";
        /// <summary>The specs with their inferred shapes.</summary>
        public const string Plans = "ModelPlans";
    }

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        // Generated code needs pointers; without unsafe blocks only stubs are emitted (MG0016 says why). The transform reads
        // the option from its compilation (it runs again for each new one) rather than combining a bool provider with the
        // plans: a pipeline node over (plan, bool) tuples is compiled at run time in every cold compiler process.
        var specs = context.SyntaxProvider.ForAttributeWithMetadataName(
                ModelParser.ModelAttributeName,
                predicate: static (node, _) => node is ClassDeclarationSyntax,
                transform: static (ctx, ct) => ctx.TargetSymbol is INamedTypeSymbol type && ctx.Attributes.Length > 0
                    ? new DeclaredModel(ModelParser.Parse(type, ctx.Attributes[0], ct).Spec,
                        ctx.SemanticModel.Compilation.Options is CSharpCompilationOptions { AllowUnsafe: true })
                    : null)
            .Where(static declared => declared is not null)
            .WithTrackingName(Steps.Specs);

        var plans = specs
            .Select(static (declared, _) => new ModelPlan(declared!.Spec, ShapeInference.Infer(declared.Spec), declared.UnsafeAllowed))
            .WithTrackingName(Steps.Plans);

        context.RegisterSourceOutput(plans, static (output, plan) =>
        {
            var spec = plan.Spec;
            // A class that is not partial (MG0001) gets its part too: the compiler then reports the one CS0260 on the class
            // ("missing partial modifier") instead of CS0751 and CS8795 on every layer method and CS1061 on every use.
            bool valid = spec.IsPartial && plan.UnsafeAllowed && !spec.HasDeclarationErrors && !plan.Shapes.HasErrors && spec.Graph.Output >= 0;
            if (!valid)
            {
                output.AddSource(spec.FullName + ".g.cs", SourceText.From(CpuEmitter.EmitInvalid(spec, ErrorIds(plan)), Encoding.UTF8));
                return;
            }
            // One plan of the model's values and buffers, rendered in C# and (beside working CPU code, whose base class
            // member it overrides) in CUDA C.
            var values = new ValuePlan(spec, plan.Shapes);
            output.AddSource(spec.FullName + ".g.cs", SourceText.From(CpuEmitter.Emit(values), Encoding.UTF8));
            output.AddSource(spec.FullName + ".Cuda.g.cs", SourceText.From(CudaEmitter.Emit(values), Encoding.UTF8));
        });
    }

    /// <summary>"MG0002, MG0007": the errors that keep a model from being generated, as its stub's exception names them.</summary>
    private static string ErrorIds(ModelPlan plan)
    {
        var ids = new SortedSet<string>(plan.Spec.ErrorIds, StringComparer.Ordinal);
        foreach (var problem in plan.Shapes.Problems)
            if (!ShapeInference.IsWarning(problem.Id)) ids.Add(problem.Id);
        if (!plan.UnsafeAllowed) ids.Add("MG0016");
        return string.Join(", ", ids);
    }

    /// <summary>A parsed model and whether its compilation allows unsafe code.</summary>
    private sealed record DeclaredModel(ModelSpec Spec, bool UnsafeAllowed);

    private sealed record ModelPlan(ModelSpec Spec, ShapePlan Shapes, bool UnsafeAllowed);
}
