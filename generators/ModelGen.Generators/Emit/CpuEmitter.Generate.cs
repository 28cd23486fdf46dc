using System.Collections.Generic;
using System.Linq;
using ModelGen.FrontEnd;

namespace ModelGen.Generators.Emit;

/// <summary>
/// Generate for encoder–decoder models: the [Forward] graph split into the encoder (the values computed from the
/// source alone, run once per source with RunForward's own lines) and the decoder (the values on the target's
/// positions, run one row per step). The decoder's causal self-attention and cross-attention read cached keys and
/// values (DecodingKernels); every other decoder layer works position by position, so a step is that layer on one row.
/// </summary>
internal static partial class CpuEmitter
{
    /// <summary>How a model generates: its two inputs, the decoder's nodes in graph order, the encoder's.</summary>
    private sealed class GenerationPlan
    {
        public int Source, Target;               // indices into spec.Inputs
        public int SourceNode, TargetNode;       // their NamedInput nodes
        public int SourceLength, TargetLength, Vocabulary, StartVocabulary;
        public List<int> Encoder = new(), Decoder = new();
        public EmbeddingLayer? SourceMask;
    }

    /// <summary>
    /// The generation plan of an encoder–decoder model (two [Input]s and a CrossAttention), or null with the reason it
    /// cannot generate; null and no reason for every other model (which has no Generate).
    /// </summary>
    private static GenerationPlan? PlanGeneration(ValueNames names, out string? refusal)
    {
        refusal = null;
        var spec = names.Spec;
        var nodes = spec.Graph.Nodes;
        if (spec.Inputs.Count < 2 || !spec.Graph.FromForwardMethod || !spec.Layers.Any(l => l.Kind == LayerKind.CrossAttention)) return null;
        if (spec.Inputs.Count != 2) return Refuse(out refusal, $"it has {spec.Inputs.Count} [Input]s, and Generate reads two: the source and the decoder's ids");
        if (spec.Graph.Outputs.Count > 0 || spec.Graph.Output < 0) return Refuse(out refusal, "it has several outputs, and Generate reads the logits of one");
        if (spec.Loss != LossKind.SoftmaxCrossEntropy) return Refuse(out refusal, $"its loss is Loss.{spec.Loss}, and Generate picks each next id from the logits of Loss.SoftmaxCrossEntropy");

        // Which inputs each value depends on position by position (bit i: input i); a cross-attention's memory does not
        // count for its output, which has the queries' positions.
        var positional = new int[nodes.Count];
        var any = new int[nodes.Count];
        for (int n = 1; n < nodes.Count; n++)
        {
            var node = nodes[n];
            int Of(int[] bits, int i) => i >= 0 ? bits[i] : 0;
            switch (node.Kind)
            {
                case NodeKind.NamedInput:
                    positional[n] = any[n] = 1 << node.Layer;
                    break;
                case NodeKind.Concat:
                    positional[n] = node.Parts.Aggregate(0, (bits, part) => bits | positional[part]);
                    any[n] = node.Parts.Aggregate(0, (bits, part) => bits | any[part]);
                    break;
                default:
                    bool cross = node.Kind == NodeKind.Layer && spec.Layers[node.Layer].Kind == LayerKind.CrossAttention;
                    positional[n] = Of(positional, node.A) | (cross ? 0 : Of(positional, node.B));
                    any[n] = Of(any, node.A) | Of(any, node.B);
                    break;
            }
        }
        var needed = new bool[nodes.Count];
        MarkNeeded(nodes, spec.Graph.Output, needed);
        int output = spec.Graph.Output;
        if (positional[output] == 3)
        {
            int mix = Enumerable.Range(1, nodes.Count - 1).First(n => needed[n] && positional[n] == 3);
            return Refuse(out refusal, $"{Describe(names, mix)} combines the two inputs position by position; the source may reach the decoder only as a CrossAttention's memory");
        }
        if (positional[output] == 0) return Refuse(out refusal, "its output does not depend on either input position by position");
        var plan = new GenerationPlan { Target = positional[output] == 1 ? 0 : 1 };
        plan.Source = 1 - plan.Target;
        int targetBit = 1 << plan.Target;
        plan.TargetNode = Enumerable.Range(1, nodes.Count - 1).First(n => nodes[n].Kind == NodeKind.NamedInput && nodes[n].Layer == plan.Target);
        plan.SourceNode = Enumerable.Range(1, nodes.Count - 1).FirstOrDefault(n => nodes[n].Kind == NodeKind.NamedInput && nodes[n].Layer == plan.Source && needed[n]);
        var source = spec.Inputs[plan.Source];
        var target = spec.Inputs[plan.Target];
        if (plan.SourceNode <= 0) return Refuse(out refusal, $"its output does not read the input '{source.Name}'");
        if (target.Shape.Count != 1 || source.Shape.Count != 1)
            return Refuse(out refusal, $"Generate reads ids, and the input '{(target.Shape.Count != 1 ? target.Name : source.Name)}' is not one id per position");
        plan.TargetLength = target.Shape[0];
        plan.SourceLength = source.Shape[0];
        var outputShape = names.Shapes.Nodes[output].Shape;
        if (outputShape.Count != 2 || outputShape[0] != plan.TargetLength)
            return Refuse(out refusal, $"its output is {names.Shape(output)}, not one row of logits per position of '{target.Name}' ([{plan.TargetLength}, classes])");
        plan.Vocabulary = outputShape[1];

        for (int n = 1; n < nodes.Count; n++)
        {
            if (!needed[n]) continue;
            var node = nodes[n];
            if ((any[n] & targetBit) == 0)
            {
                if (node.Kind != NodeKind.NamedInput || n == plan.SourceNode) plan.Encoder.Add(n);
                if (node.Kind == NodeKind.NamedInput || node.A != plan.SourceNode) continue;
                if (node.Kind != NodeKind.Layer || spec.Layers[node.Layer] is not EmbeddingLayer sourceEmbedding)
                    return Refuse(out refusal, $"{Describe(names, n)} reads the ids of '{source.Name}' directly; Generate takes the source as ids, which an [Embedding] reads");
                if (sourceEmbedding.MaskPadding) plan.SourceMask = sourceEmbedding;
                continue;
            }
            if ((positional[n] & targetBit) == 0)
                return Refuse(out refusal, $"{Describe(names, n)} mixes the decoder's positions into a value the decoder reads as a whole");
            if (DecoderStepRefusal(names, plan, n, any, targetBit) is { } why) return Refuse(out refusal, why);
            plan.Decoder.Add(n);
        }
        var targetEmbedding = Enumerable.Range(1, nodes.Count - 1).Where(n => needed[n] && nodes[n].Kind == NodeKind.Layer && nodes[n].A == plan.TargetNode)
            .Select(n => spec.Layers[nodes[n].Layer]).OfType<EmbeddingLayer>().FirstOrDefault();
        if (targetEmbedding is null) return Refuse(out refusal, $"no [Embedding] reads the ids of '{target.Name}'");
        plan.StartVocabulary = targetEmbedding.Vocabulary;
        return plan;
    }

    private static GenerationPlan? Refuse(out string? refusal, string why)
    {
        refusal = why;
        return null;
    }

    /// <summary>Why decoder node <paramref name="n"/> cannot run one row at a time, or null when it can.</summary>
    private static string? DecoderStepRefusal(ValueNames names, GenerationPlan plan, int n, int[] any, int targetBit)
    {
        var spec = names.Spec;
        var node = spec.Graph.Nodes[n];
        switch (node.Kind)
        {
            case NodeKind.NamedInput:
            case NodeKind.Add or NodeKind.Multiply or NodeKind.Subtract or NodeKind.Map:
                return null;
            case NodeKind.Layer:
                break;
            default:
                return $"{Describe(names, n)} is not computed position by position, so a decoder step cannot compute it for one position";
        }
        var layer = spec.Layers[node.Layer];
        switch (layer)
        {
            case EmbeddingLayer when node.A == plan.TargetNode:
                return null;
            case EmbeddingLayer:
                return $"{Describe(names, n)} reads a computed value";
            case PositionalEmbeddingLayer or DenseLayer or DropoutLayer:
                return null;
            case NormLayer when layer.Kind == LayerKind.LayerNorm:
                return null;
            case AttentionLayer { Causal: true }:
                return null;
            case AttentionLayer:
                return $"[MultiHeadAttention] '{layer.Name}' on the decoder's positions is not causal: each position would attend to later ones, which do not exist yet while generating; declare it with Causal = true";
            case CrossAttentionLayer:
                return (any[node.B] & targetBit) != 0
                    ? $"the memory of [CrossAttention] '{layer.Name}' depends on the decoder's ids; it must be computed from '{spec.Inputs[plan.Source].Name}' alone"
                    : null;
            default:
                return $"[{layer.Kind}] '{layer.Name}' on the decoder's positions {(layer.Kind is LayerKind.LSTM or LayerKind.GRU or LayerKind.Conv1d ? "mixes positions" : "does not work position by position")}; a decoder step runs position-wise layers, causal [MultiHeadAttention] and [CrossAttention] only";
        }
    }

    private static void MarkNeeded(EquatableArray<GraphNode> nodes, int n, bool[] needed)
    {
        if (n <= 0 || needed[n]) return;
        needed[n] = true;
        var node = nodes[n];
        if (node.Kind == NodeKind.Concat)
            foreach (int part in node.Parts) MarkNeeded(nodes, part, needed);
        else if (node.Kind != NodeKind.NamedInput)
        {
            MarkNeeded(nodes, node.A, needed);
            MarkNeeded(nodes, node.B, needed);
        }
    }

    /// <summary>"'Encoder' (MultiHeadAttention)" for a layer call, the expression or label for other values.</summary>
    private static string Describe(ValueNames names, int n)
    {
        var node = names.Spec.Graph.Nodes[n];
        if (node.Kind == NodeKind.Layer) return $"[{names.Spec.Layers[node.Layer].Kind}] '{names.Spec.Layers[node.Layer].Name}'";
        return node.Text.Length > 0 ? $"'{node.Text}'" : $"'{names.Label(n)}'";
    }

    /// <summary>The model's Generate overloads, or (a model that cannot generate) overloads whose use is a build error saying why.</summary>
    private static void WriteGenerateMembers(IndentedWriter w, ValueNames names)
    {
        var plan = PlanGeneration(names, out string? refusal);
        if (plan is null && refusal is null) return;
        var spec = names.Spec;
        if (plan is null)
        {
            string message = $"{spec.TypeName} cannot generate: {refusal}.";
            string obsolete = $"[global::System.Obsolete({Literals.String(message)}, error: true, DiagnosticId = \"MG0214\", UrlFormat = {Literals.String(Diagnostics.HelpLinkBase + "{0}.md")})]";
            w.Line("/// <summary>Not available for this model: using it is build error MG0214, which says why.</summary>");
            w.Line("/// <param name=\"source\">The source ids.</param>");
            w.Line("/// <param name=\"maxLength\">The most ids to generate.</param>");
            w.Line("/// <param name=\"options\">Decoding options.</param>");
            w.Line(obsolete);
            w.Line("public int[] Generate(ReadOnlySpan<int> source, int maxLength, GenerationOptions? options = null)");
            w.Indent().Line($"=> throw new NotSupportedException({Literals.String(message)});").Outdent();
            w.Line();
            w.Line("/// <summary>Not available for this model: using it is build error MG0214, which says why.</summary>");
            w.Line("/// <param name=\"source\">The source ids.</param>");
            w.Line("/// <param name=\"tokens\">Where the generated ids would go.</param>");
            w.Line("/// <param name=\"options\">Decoding options.</param>");
            w.Line(obsolete);
            w.Line("public int Generate(ReadOnlySpan<int> source, Span<int> tokens, GenerationOptions? options = null)");
            w.Indent().Line($"=> throw new NotSupportedException({Literals.String(message)});").Outdent();
            w.Line();
            return;
        }
        string sourceName = spec.Inputs[plan.Source].Name, targetName = spec.Inputs[plan.Target].Name;
        string sourceText = plan.SourceMask is { } mask
            ? $"Up to {Literals.Int(plan.SourceLength)} ids of '{sourceName}' (shorter ones are padded with id {Literals.Int(mask.PaddingIndex)}, which the encoder and cross-attention skip)"
            : $"The {Literals.Int(plan.SourceLength)} ids of '{sourceName}'";
        w.Lines($$"""
            /// <summary>
            /// Generates ids autoregressively: the encoder reads <paramref name="source"/> once, then the decoder runs one
            /// position per step, from <see cref="GenerationOptions.StartId"/>, each step reading the id chosen at the step
            /// before (greedy, or sampled at <see cref="GenerationOptions.Temperature"/>), with its attention keys and values
            /// cached, until <see cref="GenerationOptions.EndId"/> (included) or <paramref name="maxLength"/> ids. Runs on the CPU.
            /// </summary>
            /// <param name="source">{{sourceText}}.</param>
            /// <param name="maxLength">The most ids to generate: 1 … {{Literals.Int(plan.TargetLength)}}, the positions of '{{targetName}}'.</param>
            /// <param name="options">Start and end ids, temperature and seed; null: greedy from id 0.</param>
            /// <returns>The generated ids, the end id last if it was generated.</returns>
            /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLength"/> is outside 1 … {{Literals.Int(plan.TargetLength)}}, or an id is outside its vocabulary.</exception>
            /// <exception cref="ArgumentException"><paramref name="source"/> has the wrong length.</exception>
            public int[] Generate(ReadOnlySpan<int> source, int maxLength, GenerationOptions? options = null)
            {
                DecodingKernels.CheckLength(maxLength, {{Literals.Int(plan.TargetLength)}}, {{Literals.String(targetName)}}, nameof(maxLength));
                var tokens = new int[maxLength];
                int count = Generate(source, tokens, options);
                return count == maxLength ? tokens : tokens.AsSpan(0, count).ToArray();
            }

            /// <summary>
            /// <see cref="Generate(ReadOnlySpan{int}, int, GenerationOptions?)"/> into <paramref name="tokens"/>, whose length is
            /// the most ids to generate; allocates nothing once the first call has set up the decoder's caches.
            /// </summary>
            /// <param name="source">{{sourceText}}.</param>
            /// <param name="tokens">Receives the generated ids: 1 … {{Literals.Int(plan.TargetLength)}} of them.</param>
            /// <param name="options">Start and end ids, temperature and seed; null: greedy from id 0.</param>
            /// <returns>How many ids were written.</returns>
            /// <exception cref="ArgumentOutOfRangeException"><paramref name="tokens"/> is empty or longer than {{Literals.Int(plan.TargetLength)}}, or an id is outside its vocabulary.</exception>
            /// <exception cref="ArgumentException"><paramref name="source"/> has the wrong length.</exception>
            public int Generate(ReadOnlySpan<int> source, Span<int> tokens, GenerationOptions? options = null)
                => ((Graph<float>)SingleSampleGraph).Generate(Parameters, source, tokens, options);

            """);
    }

    /// <summary>Graph{T}'s generation members: the encoder's lines of RunForward, the decoder step, and the public Encode, Decode and Generate.</summary>
    private static void WriteGeneration(IndentedWriter w, ValueNames names)
    {
        if (PlanGeneration(names, out _) is not { } plan) return;
        var spec = names.Spec;
        var nodes = spec.Graph.Nodes;
        var cached = plan.Decoder.Where(n => nodes[n].Kind == NodeKind.Layer && spec.Layers[nodes[n].Layer].Kind is LayerKind.MultiHeadAttention or LayerKind.CrossAttention).ToList();
        string targetName = spec.Inputs[plan.Target].Name;
        int Width(int n) => names.Shapes.Nodes[n].Shape.Count == 2 ? names.Shapes.Nodes[n].Shape[1] : 1;
        string Row(int n) => $"_{names.Label(n)}Step";
        string T = Literals.Int(plan.TargetLength), S = Literals.Int(plan.SourceLength), V = Literals.Int(plan.Vocabulary);

        w.Line();
        w.Line("// Generation: the encoder runs once per source (RunEncoder: RunForward's lines for the values computed from");
        w.Line($"// '{spec.Inputs[plan.Source].Name}' alone), then the decoder one position per step (DecodeStep) on one row per value, its");
        w.Line("// attention keys and values cached. Buffers are allocated by the first Encode.");
        w.Line("private T* _generationInput;   // one input row: the source ids (the decoder's columns unused)");
        foreach (int n in plan.Decoder) w.Line($"private T* {Row(n)};   // [{Literals.Int(Width(n))}] of {names.Label(n)} at the current position");
        foreach (int n in cached)
        {
            bool cross = spec.Layers[nodes[n].Layer].Kind == LayerKind.CrossAttention;
            int positions = cross ? names.Shapes.Nodes[nodes[n].B].Shape[0] : plan.TargetLength;
            w.Line($"private T* _{names.Label(n)}Keys, _{names.Label(n)}Values;   // [{Literals.Int(positions)}, {Literals.Int(Width(n))}] each: {(cross ? $"the memory {names.Label(nodes[n].B)} projected once per source" : "the decoder positions so far")}");
        }
        w.Line("private T* _stepWorkspace;   // attention scores and projections of one step; LayerNorm's statistics");
        w.Line("private int _decodedPositions = -1;   // positions in the caches; -1 before the first Encode");
        w.Line();

        using (w.Block("private void AllocateGenerationBuffers()"))
        {
            w.Line($"_generationInput = Allocate({Literals.Int(names.Shapes.Nodes[0].Size)});");
            foreach (int n in plan.Decoder) w.Line($"{Row(n)} = Allocate({Literals.Int(Width(n))});");
            int longest = plan.TargetLength, widest = 1;
            foreach (int n in cached)
            {
                bool cross = spec.Layers[nodes[n].Layer].Kind == LayerKind.CrossAttention;
                int positions = cross ? names.Shapes.Nodes[nodes[n].B].Shape[0] : plan.TargetLength;
                longest = System.Math.Max(longest, positions);
                widest = System.Math.Max(widest, Width(n));
                w.Line($"_{names.Label(n)}Keys = Allocate({Literals.Int(positions * Width(n))});");
                w.Line($"_{names.Label(n)}Values = Allocate({Literals.Int(positions * Width(n))});");
            }
            w.Line($"_stepWorkspace = Allocate(DecodingKernels.StepWorkspaceSize(positions: {Literals.Int(longest)}, dimension: {Literals.Int(widest)}));");
        }
        w.Line();

        // The encoder: RunForward's own lines for its nodes, on one sample.
        w.Line($"/// <summary>RunForward's lines for the values computed from '{spec.Inputs[plan.Source].Name}' alone (the encoder).</summary>");
        using (w.Block("private void RunEncoder(T* p, T* input, int batch)"))
        {
            if (names.Plan.HasTrainingMode) w.Line("const bool training = false;   // inference: dropout passes values through, noise is its mean");
            bool first = true;
            foreach (int n in plan.Encoder)
            {
                if (!first) w.Line();
                first = false;
                WriteForwardNode(w, names, n);
            }
        }
        w.Line();

        string sourceName = spec.Inputs[plan.Source].Name;
        int sourceOffset = spec.Inputs.Take(plan.Source).Sum(i => Product(i.Shape));
        int padding = plan.SourceMask?.PaddingIndex ?? -1;
        var sourceEmbedding = (EmbeddingLayer)spec.Layers[nodes.First(node => node.Kind == NodeKind.Layer && node.A == plan.SourceNode).Layer];
        w.Lines($$"""
            /// <summary>
            /// Runs the encoder on one source and projects each cross-attention's memory to its keys and values; decoding
            /// (<see cref="Decode"/>) starts again at position 0.
            /// </summary>
            /// <param name="parameters">The model's parameters.</param>
            /// <param name="source">{{(padding >= 0 ? $"Up to {S} ids of '{sourceName}'; the rest is padded with id {Literals.Int(padding)}" : $"The {S} ids of '{sourceName}'")}}.</param>
            /// <exception cref="ArgumentException">A size or an id is wrong; the message names it.</exception>
            public void Encode(ReadOnlySpan<T> parameters, ReadOnlySpan<int> source)
            {
                CheckParameters(parameters);
                if (_decodedPositions < 0) AllocateGenerationBuffers();
                DecodingKernels.WriteSource(source, new Span<T>({{(sourceOffset == 0 ? "_generationInput" : $"_generationInput + {Literals.Int(sourceOffset)}")}}, {{S}}), vocabulary: {{Literals.Int(sourceEmbedding.Vocabulary)}}, paddingIndex: {{Literals.Int(padding)}}, {{Literals.String(sourceName)}});
                fixed (T* p = parameters)
                {
                    RunEncoder(p, _generationInput, batch: 1);
            """);
        w.Indent().Indent();
        foreach (int n in cached.Where(n => spec.Layers[nodes[n].Layer].Kind == LayerKind.CrossAttention))
        {
            var layer = (CrossAttentionLayer)spec.Layers[nodes[n].Layer];
            int memory = nodes[n].B;
            w.Line($"DecodingKernels.ProjectMemory({names.Value(memory)}, p + {layer.Name}QkvWeights, {(layer.Bias ? $"p + {layer.Name}QkvBias" : "null")}, _{names.Label(n)}Keys, _{names.Label(n)}Values, count: {Literals.Int(names.Shapes.Nodes[memory].Shape[0])}, dimension: {Literals.Int(Width(n))});");
        }
        w.Outdent().Line("}").Line("_decodedPositions = 0;").Outdent().Line("}");
        w.Line();

        w.Lines($$"""
            /// <summary>
            /// The decoder at its next position (0 after <see cref="Encode"/>, then 1, 2, …) reading <paramref name="token"/>:
            /// the logits of the id that follows, equal to the full forward's row at that position when the decoder's ids so
            /// far are the ones given. The span is valid until the next call.
            /// </summary>
            /// <param name="parameters">The model's parameters.</param>
            /// <param name="token">The id the decoder reads at this position.</param>
            /// <returns>The {{V}} logits of this position.</returns>
            /// <exception cref="InvalidOperationException">No source was encoded, or all {{T}} positions of '{{targetName}}' are decoded.</exception>
            /// <exception cref="ArgumentOutOfRangeException">The id is outside the vocabulary.</exception>
            public ReadOnlySpan<T> Decode(ReadOnlySpan<T> parameters, int token)
            {
                CheckParameters(parameters);
                if (_decodedPositions < 0) throw new InvalidOperationException("Encode a source before decoding.");
                if (_decodedPositions == {{T}}) throw new InvalidOperationException("All {{T}} positions of '{{targetName}}' are decoded; Encode a source to start again.");
                DecodingKernels.CheckToken(token, {{Literals.Int(plan.StartVocabulary)}}, nameof(token));
                fixed (T* p = parameters)
                    return new ReadOnlySpan<T>(DecodeStep(p, _decodedPositions++, token), {{V}});
            }

            /// <summary>
            /// Encodes <paramref name="source"/> and generates up to <paramref name="tokens"/>.Length ids (see the model's
            /// Generate); allocates nothing once the buffers exist.
            /// </summary>
            /// <param name="parameters">The model's parameters.</param>
            /// <param name="source">The source ids.</param>
            /// <param name="tokens">Receives the generated ids: 1 … {{T}} of them.</param>
            /// <param name="options">Start and end ids, temperature and seed; null: greedy from id 0.</param>
            /// <returns>How many ids were written (fewer than asked when the end id came).</returns>
            public int Generate(ReadOnlySpan<T> parameters, ReadOnlySpan<int> source, Span<int> tokens, GenerationOptions? options = null)
            {
                options ??= GenerationOptions.Greedy;
                DecodingKernels.CheckLength(tokens.Length, {{T}}, {{Literals.String(targetName)}}, nameof(tokens));
                DecodingKernels.CheckToken(options.StartId, {{Literals.Int(plan.StartVocabulary)}}, "options.StartId");
                Encode(parameters, source);
                var rng = new Rng(options.Seed);
                int token = options.StartId;
                fixed (T* p = parameters)
                {
                    for (int position = 0; position < tokens.Length; position++)
                    {
                        T* logits = DecodeStep(p, position, token);
                        _decodedPositions = position + 1;
                        token = DecodingKernels.ChooseToken(logits, {{V}}, options.Temperature, ref rng);
                        tokens[position] = token;
                        if (token == options.EndId) return position + 1;
                    }
                }
                return tokens.Length;
            }

            private static void CheckParameters(ReadOnlySpan<T> parameters)
            {
                if (parameters.Length != TotalParameters)
                    throw new ArgumentException($"Expected {TotalParameters} parameters, got {parameters.Length}.", nameof(parameters));
            }

            """);

        w.Line($"/// <summary>The decoder's values at <paramref name=\"position\"/> reading <paramref name=\"token\"/>, one row each; returns the logits row.</summary>");
        using (w.Block("private T* DecodeStep(T* p, int position, int token)"))
        {
            bool first = true;
            foreach (int n in plan.Decoder)
            {
                if (!first) w.Line();
                first = false;
                WriteDecoderStepNode(w, names, plan, n, Row, Width);
            }
            w.Line($"return {Row(spec.Graph.Output)};");
        }
    }

    private static void WriteDecoderStepNode(IndentedWriter w, ValueNames names, GenerationPlan plan, int n, System.Func<int, string> row, System.Func<int, int> width)
    {
        var spec = names.Spec;
        var node = spec.Graph.Nodes[n];
        string y = row(n), d = Literals.Int(width(n));
        switch (node.Kind)
        {
            case NodeKind.NamedInput:
                w.Line($"// {names.Label(n)}: the id read at this position");
                w.Line($"{y}[0] = T.CreateTruncating(token);");
                return;
            case NodeKind.Add:
                w.Line($"// {names.Label(n)} = {names.Label(node.A)} + {names.Label(node.B)}");
                w.Line($"ElementwiseKernels.Add({row(node.A)}, {row(node.B)}, {y}, {d});");
                return;
            case NodeKind.Multiply:
                w.Line($"// {names.Label(n)} = {names.Label(node.A)} * {names.Label(node.B)}");
                w.Line($"ElementwiseKernels.Multiply({row(node.A)}, {row(node.B)}, {y}, {d});");
                return;
            case NodeKind.Subtract:
                w.Line($"// {names.Label(n)} = {names.Label(node.A)} − {names.Label(node.B)}");
                w.Line($"ElementwiseMathKernels.Subtract({row(node.A)}, {row(node.B)}, {y}, {d});");
                return;
            case NodeKind.Map:
                w.Line($"// {names.Label(n)} = {MapText(node, names.Label(node.A))}");
                w.Line($"ElementwiseMathKernels.Forward(ElementwiseFunction.{node.Function}, {row(node.A)}, {y}, {d}{MapConstants(node)});");
                return;
        }
        var layer = spec.Layers[node.Layer];
        string x = row(node.A), name = layer.Name;
        switch (layer)
        {
            case EmbeddingLayer embedding:
                w.Line($"// {names.Label(n)} = Embedding({Literals.Int(embedding.Vocabulary)}×{Literals.Int(embedding.Dimension)})({names.Label(node.A)})");
                w.Line($"EmbeddingKernels.Forward({x}, p + {name}Table, {y}, 1, vocabulary: {Literals.Int(embedding.Vocabulary)}, dimension: {d});");
                break;
            case PositionalEmbeddingLayer:
                w.Line($"// {names.Label(n)} = {names.Label(node.A)} + the position table's row at this position");
                w.Line($"ElementwiseKernels.Add({x}, p + {name}Table + position * {d}, {y}, {d});");
                break;
            case DenseLayer dense:
            {
                var lp = names.Shapes.Layers[node.Layer];
                w.Line($"// {names.Label(n)} = Dense({Literals.Int(dense.Units)}{ActivationText(dense.Activation)})({names.Label(node.A)})");
                w.Line($"DenseKernels.Forward({x}, p + {name}Weights, {(dense.Bias ? $"p + {name}Bias" : "null")}, {y}, {y}, 1, {Literals.Int(lp.InFeatures)}, {Literals.Int(lp.OutFeatures)}, Activation.{dense.Activation}, {Slope(name, dense.Activation)});");
                break;
            }
            case DropoutLayer:
                w.Line($"// {names.Label(n)} = Dropout({names.Label(node.A)}): the values themselves while generating");
                w.Line($"new ReadOnlySpan<T>({x}, {d}).CopyTo(new Span<T>({y}, {d}));");
                break;
            case NormLayer:
                w.Line($"// {names.Label(n)} = LayerNorm({names.Label(node.A)})");
                w.Line($"LayerNormKernels.Forward({x}, p + {name}Gamma, p + {name}Beta, {y}, _stepWorkspace, _stepWorkspace + 1, 1, {d}, {name}Epsilon);");
                break;
            case AttentionLayer attention:
                w.Line($"// {names.Label(n)} = MultiHeadAttention({Literals.Int(attention.Heads)} heads, causal)({names.Label(node.A)}): this position's keys and values join the cache, the query attends to positions 0 … position");
                w.Line($"DecodingKernels.SelfAttentionStep({x}, p + {name}QkvWeights, {(attention.Bias ? $"p + {name}QkvBias" : "null")}, p + {name}OutWeights, {(attention.Bias ? $"p + {name}OutBias" : "null")}, {y},");
                w.Indent().Line($"_{names.Label(n)}Keys, _{names.Label(n)}Values, position, dimension: {d}, heads: {Literals.Int(attention.Heads)}, _stepWorkspace);").Outdent();
                break;
            case CrossAttentionLayer cross:
            {
                int keys = names.Shapes.Nodes[node.B].Shape[0];
                string valid = names.Shapes.Nodes[node.B].Masked ? "_lengths[0]" : Literals.Int(keys);
                w.Line($"// {names.Label(n)} = CrossAttention({Literals.Int(cross.Heads)} heads)({names.Label(node.A)} attending to {names.Label(node.B)}): the memory's keys and values were projected by Encode");
                w.Line($"DecodingKernels.CrossAttentionStep({x}, p + {name}QkvWeights, {(cross.Bias ? $"p + {name}QkvBias" : "null")}, p + {name}OutWeights, {(cross.Bias ? $"p + {name}OutBias" : "null")}, {y},");
                w.Indent().Line($"_{names.Label(n)}Keys, _{names.Label(n)}Values, validKeys: {valid}, dimension: {d}, heads: {Literals.Int(cross.Heads)}, _stepWorkspace);").Outdent();
                break;
            }
        }
    }
}
