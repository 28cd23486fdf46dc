using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;
using ModelGen.Analyzers.Leakage;
using ModelGen.FrontEnd;

namespace ModelGen.Analyzers;

/// <summary>
/// Reports data-leakage mistakes on ModelGen's typed data API (MG0019–MG0031) at the call at fault: preprocessing
/// fitted on rows that include test rows, statistics of all rows computed before the split, oversampling before the
/// split, training on test rows, the test set used for early stopping or model choice (also by LINQ over several test
/// scores), preprocessing fitted outside the validation folds, shuffled splits of time-ordered or grouped rows,
/// columns known only after the outcome or the label used as inputs (also through lists computed from the schema),
/// features computed from the label, time-ordered rows shuffled before a cut by position, and training (augmented
/// or not) on the validation rows. Each method body is interpreted over abstract values (which rows a table holds, which split made
/// it, what was fitted on what), following locals, reassignments, call chains, branches, loops and helper methods of
/// the same file; a diagnostic is reported only when the flow is decided, never on what the analysis cannot follow.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class LeakageAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Diagnostics.Leakage);

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var api = DataApi.Create(start.Compilation);
            if (api is null) return;
            var helpers = new ConcurrentDictionary<IMethodSymbol, HashSet<(string, SyntaxTree, TextSpan)>>(SymbolEqualityComparer.Default);
            start.RegisterOperationBlockAction(block => AnalyzeBlock(block, api, helpers));
        });
    }

    private static void AnalyzeBlock(OperationBlockAnalysisContext context, DataApi api,
        ConcurrentDictionary<IMethodSymbol, HashSet<(string, SyntaxTree, TextSpan)>> helpers)
    {
        if (context.OwningSymbol is not IMethodSymbol) return;
        foreach (var block in context.OperationBlocks)
        {
            if (block is not (IMethodBodyOperation or IConstructorBodyOperation or IBlockOperation)) continue;
            if (block.SemanticModel is not { } model || !Relevant(api, block)) continue;
            HashSet<(string, TextSpan)>? reported = null;
            foreach (var candidate in Candidates(api, model, block, context.CancellationToken))
            {
                // A finding inside a helper that the helper's own analysis already reports is reported there, once.
                if (candidate.Primary != candidate.Site && candidate.Site is IInvocationOperation call
                    && call.TargetMethod.MethodKind != MethodKind.LocalFunction
                    && HelperFindings(api, model, call.TargetMethod.OriginalDefinition, helpers, context.CancellationToken)
                        .Contains((candidate.Rule.Id, candidate.Primary.Syntax.SyntaxTree, candidate.Primary.Syntax.Span)))
                    continue;
                if (!(reported ??= new HashSet<(string, TextSpan)>()).Add((candidate.Rule.Id, candidate.Location.SourceSpan))) continue;
                context.ReportDiagnostic(Diagnostic.Create(candidate.Rule, candidate.Location, candidate.Additional, candidate.Properties, candidate.Args));
            }
        }
    }

    /// <summary>What a helper's own analysis finds, by rule and the span of the operation at fault (cached per compilation).</summary>
    private static HashSet<(string, SyntaxTree, TextSpan)> HelperFindings(DataApi api, SemanticModel model, IMethodSymbol helper,
        ConcurrentDictionary<IMethodSymbol, HashSet<(string, SyntaxTree, TextSpan)>> cache, CancellationToken ct)
    {
        if (cache.TryGetValue(helper, out var found)) return found;
        found = new HashSet<(string, SyntaxTree, TextSpan)>();
        if (helper.DeclaringSyntaxReferences.Length == 1 && helper.DeclaringSyntaxReferences[0].SyntaxTree == model.SyntaxTree
            && model.GetOperation(helper.DeclaringSyntaxReferences[0].GetSyntax(ct), ct) is IMethodBodyOperation body)
        {
            foreach (var c in Candidates(api, model, body, ct))
                found.Add((c.Rule.Id, c.Primary.Syntax.SyntaxTree, c.Primary.Syntax.Span));
        }
        return cache.GetOrAdd(helper, found);
    }

    /// <summary>
    /// Whether a body can hold a finding: a cheap filter before the interpretation. Every finding is about rows the
    /// interpreter follows, which come only from the table API (tables, splits, transformers of ModelGen.Data); a Dataset
    /// is followed only when ToDataset made it from a table. So a body whose only data type is Dataset (a model trained on
    /// Dataset.ForClassification data) needs interpreting only when it calls a helper of the same file or a local function,
    /// whose interpretation may return a Dataset made from a table.
    /// </summary>
    private static bool Relevant(DataApi api, IOperation body)
    {
        var tree = body.Syntax.SyntaxTree;
        bool datasets = false, followsCalls = false;
        // An explicit stack rather than IOperation.Descendants(), whose value-type iterator state a first build JIT-compiles.
        var pending = new Stack<IOperation>();
        pending.Push(body);
        while (pending.Count > 0)
        {
            var op = pending.Pop();
            switch (op)
            {
                case IInvocationOperation i:
                    if (DataApi.IsTableApiType(i.TargetMethod.ContainingType) || DataApi.IsTableApiType(i.Type)) return true;
                    datasets |= DataApi.Is(i.TargetMethod.ContainingType, api.Dataset) || DataApi.Is(i.Type, api.Dataset);
                    followsCalls |= Interpreter.Follows(i.TargetMethod.OriginalDefinition, tree);
                    break;
                case IObjectCreationOperation or ILocalReferenceOperation or IParameterReferenceOperation or IFieldReferenceOperation:
                    if (DataApi.IsTableApiType(op.Type)) return true;
                    datasets |= DataApi.Is(op.Type, api.Dataset);
                    break;
            }
            if (datasets && followsCalls) return true;
            foreach (var child in op.ChildOperations) pending.Push(child);
        }
        return false;
    }

    internal static IEnumerable<Candidate> Candidates(DataApi api, SemanticModel model, IOperation body, CancellationToken ct)
    {
        var facts = Interpreter.Run(api, model, body, ct);
        if (facts.Aborted) return Enumerable.Empty<Candidate>();
        return new Verdicts(api, facts, body).Decide();
    }
}

/// <summary>A diagnostic decided by <see cref="Verdicts"/>: the operation at fault and where, in the analysed body, it is reported.</summary>
internal sealed record Candidate(DiagnosticDescriptor Rule, IOperation Primary, IOperation Site, Location Location, object[] Args,
    IEnumerable<Location> Additional, ImmutableDictionary<string, string?> Properties);

/// <summary>Where test rows come from: a split's test part or an AsTest call, named for messages.</summary>
internal sealed record TestSource(RowSet Rows, string Origin, IOperation Site);

/// <summary>Turns the facts of one body into diagnostics; every rule asks only questions the facts decide.</summary>
internal sealed class Verdicts
{
    private readonly DataApi _api;
    private readonly Facts _facts;
    private readonly IOperation _body;
    private readonly List<TestSource> _testSources;
    private readonly List<Candidate> _found = new();

    public Verdicts(DataApi api, Facts facts, IOperation body)
    {
        _api = api;
        _facts = facts;
        _body = body;
        // Loops, not LINQ, over the event tables: a first build would JIT-compile each LINQ operator for their value-tuple
        // elements (samples/AnalyzerBench/build-cost.sh).
        _testSources = new List<TestSource>();
        foreach (var s in facts.Splits.Values)
            if (s.Split.Method is SplitMethod.TrainTest or SplitMethod.TrainValidationTest)
                _testSources.Add(new TestSource(new PartRows(s.Split, Role.Test), SplitName(s.Split), s.Split.Site));
        foreach (var a in facts.AsTests.Values) _testSources.Add(new TestSource(a.Input, "AsTest", a.Site));
        if (_testSources.Count > 1) SortStable(_testSources, (a, b) => a.Site.Syntax.SpanStart.CompareTo(b.Site.Syntax.SpanStart));
    }

    public List<Candidate> Decide()
    {
        var fitOnTest = FitOnTestRows();
        StatisticsBeforeSplit();
        var resampled = OversampleBeforeSplit();
        TrainOnTest();
        TestSteersTraining();
        TestEvaluatedTwice();
        ChoiceByTestScores();
        PreprocessingOutsideFolds(fitOnTest, resampled);
        SplitKinds();
        KnownAfterOutcome();
        LabelInputs();
        ShuffledBeforeCut();
        TrainOnValidation();
        if (_found.Count > 1)
            SortStable(_found, (a, b) => a.Location.SourceSpan.Start != b.Location.SourceSpan.Start
                ? a.Location.SourceSpan.Start.CompareTo(b.Location.SourceSpan.Start)
                : System.StringComparer.Ordinal.Compare(a.Rule.Id, b.Rule.Id));
        return _found;
    }

    /// <summary>The events in source order: by site, then by the operation's start.</summary>
    private static List<T> Ordered<T>(Dictionary<(IOperation, IOperation), T> events)
    {
        var ordered = new List<T>(events.Count);
        if (events.Count == 0) return ordered;
        var keys = new List<long>(events.Count);
        foreach (var kv in events)
        {
            ordered.Add(kv.Value);
            keys.Add(((long)kv.Key.Item2.Syntax.SpanStart << 32) | (uint)kv.Key.Item1.Syntax.SpanStart);
        }
        if (ordered.Count > 1) SortStable(ordered, keys);
        return ordered;
    }

    /// <summary>An insertion sort (the lists are short) that keeps equal items in their order, as OrderBy does.</summary>
    private static void SortStable<T>(List<T> items, System.Comparison<T> compare)
    {
        for (int i = 1; i < items.Count; i++)
        {
            var item = items[i];
            int j = i - 1;
            for (; j >= 0 && compare(items[j], item) > 0; j--) items[j + 1] = items[j];
            items[j + 1] = item;
        }
    }

    /// <summary>The same sort, by keys kept beside the items.</summary>
    private static void SortStable<T>(List<T> items, List<long> keys)
    {
        for (int i = 1; i < items.Count; i++)
        {
            var item = items[i];
            long key = keys[i];
            int j = i - 1;
            for (; j >= 0 && keys[j] > key; j--)
            {
                items[j + 1] = items[j];
                keys[j + 1] = keys[j];
            }
            items[j + 1] = item;
            keys[j + 1] = key;
        }
    }

    private void Add(DiagnosticDescriptor rule, IOperation primary, IOperation site, object[] args, IOperation? related = null,
        Location? location = null, ImmutableDictionary<string, string?>? properties = null)
    {
        var additional = related is not null && related.Syntax.SyntaxTree == site.Syntax.SyntaxTree && related != site
            ? new[] { related.Syntax.GetLocation() }
            : System.Array.Empty<Location>();
        _found.Add(new Candidate(rule, primary, site, location ?? site.Syntax.GetLocation(), args, additional,
            properties ?? ImmutableDictionary<string, string?>.Empty));
    }

    // ───────────── rows ─────────────

    /// <summary>
    /// Whether every row of <paramref name="b"/> is a row of <paramref name="a"/>: b is a (filtered, split, resampled)
    /// descendant of a, or of the rows a oversampler kept in a.
    /// </summary>
    private static bool Contains(RowSet a, RowSet b)
    {
        if (a is ResampledRows { KeepsAll: true } over && Contains(over.Parent, b)) return true;
        while (true)
        {
            if (a.Equals(b)) return true;
            switch (b)
            {
                case FilteredRows f: b = f.Parent; break;
                case PartRows p: b = p.Split.Input; break;
                case ResampledRows r: b = r.Parent; break;
                default: return false;
            }
        }
    }

    /// <summary>The first split or AsTest whose test rows are all among <paramref name="rows"/>.</summary>
    private TestSource? TestRowsIn(RowSet rows)
    {
        foreach (var source in _testSources)
            if (Contains(rows, source.Rows)) return source;
        return null;
    }

    /// <summary>
    /// A final fit on all rows after the evaluation is not a leak: the fit at <paramref name="site"/> comes after every
    /// use of test rows in the body, runs once (no loop) and no lambda uses test rows at an unknown time.
    /// </summary>
    private bool AfterEveryTestUse(IOperation site) =>
        !_facts.DeferredTestUse && _facts.LastTestUseEnd <= site.Syntax.SpanStart && !InLoopOrLambda(site);

    private bool InLoopOrLambda(IOperation op)
    {
        for (var p = op.Parent; p is not null && p != _body; p = p.Parent)
            if (p is ILoopOperation or IAnonymousFunctionOperation or ILocalFunctionOperation) return true;
        return false;
    }

    private List<IOperation> Loops(IOperation op)
    {
        var loops = new List<IOperation>();
        for (var p = op.Parent; p is not null && p != _body; p = p.Parent)
        {
            if (p is IAnonymousFunctionOperation or ILocalFunctionOperation) break;
            if (p is ILoopOperation) loops.Add(p);
        }
        return loops;
    }

    /// <summary>
    /// A loop that only repeats the same training with other seeds (its variable is used as nothing but a <c>seed</c>
    /// argument) measures the spread of one recipe; it chooses nothing.
    /// </summary>
    private static bool RepeatsWithSeeds(IOperation loop)
    {
        var variables = new HashSet<ILocalSymbol>(SymbolEqualityComparer.Default);
        IOperation? body = null;
        switch (loop)
        {
            case IForLoopOperation f:
                foreach (var local in f.Locals) variables.Add(local);
                body = f.Body;
                break;
            case IForEachLoopOperation fe:
                foreach (var local in fe.Locals) variables.Add(local);
                body = fe.Body;
                break;
        }
        if (body is null || variables.Count == 0) return false;
        foreach (var op in body.DescendantsAndSelf())
        {
            if (op is not ILocalReferenceOperation reference || !variables.Contains(reference.Local)) continue;
            var use = reference.Parent;
            while (use is IConversionOperation) use = use.Parent;
            if (use is not IArgumentOperation { Parameter.Name: "seed" }) return false;
        }
        return true;
    }

    /// <summary>Whether rows are made (split, read, filtered) inside <paramref name="loop"/>, so that each pass has rows of its own.</summary>
    private static bool MadeInside(RowSet rows, IOperation loop)
    {
        var span = loop.Syntax.Span;
        bool Inside(IOperation op) => op.Syntax.SyntaxTree == loop.Syntax.SyntaxTree && span.Contains(op.Syntax.Span);
        while (true)
        {
            switch (rows)
            {
                case PartRows p:
                    if (Inside(p.Split.Site)) return true;
                    rows = p.Split.Input;
                    continue;
                case FilteredRows f:
                    if (Inside(f.Op)) return true;
                    rows = f.Parent;
                    continue;
                case ResampledRows r:
                    if (Inside(r.Site)) return true;
                    rows = r.Parent;
                    continue;
                case RootRows { Key: IOperation op, Site: var site }:
                    return Inside(site as IOperation ?? op);
                case RootRows { Key: ILocalSymbol local }:
                    return local.DeclaringSyntaxReferences.Any(r => r.SyntaxTree == loop.Syntax.SyntaxTree && span.Contains(r.Span));
                default:
                    return false;
            }
        }
    }

    /// <summary>Whether two operations are on different arms of one if/else, switch or conditional expression.</summary>
    private static bool Exclusive(IOperation a, IOperation b)
    {
        var ancestorsOfA = new Dictionary<IOperation, IOperation>();
        for (IOperation child = a, p = a.Parent!; p is not null; child = p, p = p.Parent!)
            ancestorsOfA[p] = child;
        for (IOperation child = b, p = b.Parent!; p is not null; child = p, p = p.Parent!)
        {
            if (!ancestorsOfA.TryGetValue(p, out var childOfA)) continue;
            return p switch
            {
                IConditionalOperation c => (childOfA == c.WhenTrue && child == c.WhenFalse) || (childOfA == c.WhenFalse && child == c.WhenTrue),
                ISwitchOperation => childOfA != child && childOfA is ISwitchCaseOperation && child is ISwitchCaseOperation,
                ISwitchExpressionOperation => childOfA != child && childOfA is ISwitchExpressionArmOperation && child is ISwitchExpressionArmOperation,
                _ => false,
            };
        }
        return false;
    }

    // ───────────── names in messages ─────────────

    private static string SplitName(SplitSite s) => "Split." + s.Method;

    private static string PartName(Role part) => part switch
    {
        Role.Train => "training",
        Role.Validation => "validation",
        Role.Test => "test",
        _ => "unsplit",
    };

    private string NameOf(RowSet rows)
    {
        while (true)
        {
            switch (rows)
            {
                case FilteredRows f: rows = f.Parent; continue;
                case ResampledRows r: rows = r.Parent; continue;
            }
            break;
        }
        if (_facts.Names.TryGetValue(rows, out var name)) return name;
        return rows switch
        {
            RootRows { Key: IOperation op } => Short(op.Syntax.ToString()),
            RootRows { Key: ISymbol s } => s.Name,
            PartRows p => $"the {PartName(p.Part)} part of '{SplitName(p.Split)}'",
            _ => "the table",
        };
    }

    private string Describe(RowSet rows) => rows switch
    {
        RootRows => $"every row of '{NameOf(rows)}'",
        FilteredRows f => $"rows of {Describe(f.Parent)}".Replace("rows of every row of", "rows of"),
        ResampledRows r => $"{Describe(r.Parent)} resampled by {r.Sampler}",
        PartRows p when _facts.Names.TryGetValue(p, out var n) => $"'{n}' (the {PartName(p.Part)} part of '{SplitName(p.Split)}')",
        PartRows p => $"the {PartName(p.Part)} part of '{SplitName(p.Split)}'",
        _ => "a table",
    };

    private string DescribeTest(TableVal source) => source.Rows switch
    {
        PartRows { Part: Role.Test } p => $"the test rows of '{SplitName(p.Split)}'",
        _ when TestRowsIn(source.Rows) is { } t && t.Origin == "AsTest" => $"the rows of '{NameOf(source.Rows)}' declared test rows by 'AsTest'",
        _ => $"the test rows '{NameOf(source.Rows)}'",
    };

    private static string Short(string text)
    {
        text = string.Join(" ", text.Split(new[] { ' ', '\r', '\n', '\t' }, System.StringSplitOptions.RemoveEmptyEntries));
        return text.Length <= 40 ? text : text.Substring(0, 39) + "…";
    }

    /// <summary>The receiver of a call as messages show it: the local's name, or the type's.</summary>
    private static string Receiver(IOperation call)
    {
        var instance = call switch
        {
            IInvocationOperation i => i.Instance ?? (i.TargetMethod.IsExtensionMethod && i.Arguments.Length > 0 ? i.Arguments[0].Value : null),
            _ => null,
        };
        while (instance is IConversionOperation c) instance = c.Operand;
        return instance switch
        {
            ILocalReferenceOperation l => l.Local.Name,
            IParameterReferenceOperation p => p.Parameter.Name,
            IFieldReferenceOperation f => f.Field.Name,
            IPropertyReferenceOperation p when !p.Property.IsIndexer => p.Property.Name,
            null => call is IInvocationOperation i ? i.TargetMethod.ContainingType.Name : "",
            _ => instance.Type?.Name ?? "",
        };
    }

    private static string MethodName(IOperation call) => call is IInvocationOperation i ? i.TargetMethod.Name : call.Syntax.ToString();

    /// <summary>The call's name; through a helper, "Helper → Inner".</summary>
    private static string CallName(IOperation op, IOperation site, string name) => op == site ? name : $"{MethodName(site)} → {name}";

    // ───────────── the rules ─────────────

    /// <summary>MG0019: Fit/FitTransform/Resample on rows that include test rows (AsTrain of a table that is also split or AsTest-ed).</summary>
    private HashSet<IOperation> FitOnTestRows()
    {
        var flagged = new HashSet<IOperation>();
        foreach (var fit in Ordered(_facts.Fits))
        {
            if (fit.Input is null || !fit.Fit.Transformer.Learns) continue;
            if (TestRowsIn(fit.Input.Rows) is not { } test || AfterEveryTestUse(fit.Fit.Site)) continue;
            flagged.Add(fit.Fit.Op);
            var properties = fit.Fit.Op == fit.Fit.Site && fit.TrainPart is not null
                ? ImmutableDictionary<string, string?>.Empty.Add(LeakageFixProperties.TrainPart, fit.TrainPart)
                : null;
            Add(Diagnostics.FitOnTestRows, fit.Fit.Op, fit.Fit.Site,
                new object[] { CallName(fit.Fit.Op, fit.Fit.Site, $"{fit.Fit.Transformer.Name}.{fit.MethodName}"), Describe(fit.Input.Rows), test.Origin },
                related: test.Site, properties: properties);
        }
        return flagged;
    }

    /// <summary>MG0020: WithColumn of a statistic over rows that a later split divides.</summary>
    private void StatisticsBeforeSplit()
    {
        // Sets of value tuples are made only when needed: a first build JIT-compiles their code.
        HashSet<(IOperation, IOperation)>? done = null;
        foreach (var split in Ordered(_facts.Splits))
        {
            foreach (var column in split.Input.StatColumns)
            {
                if (!Contains(column.Source.Rows, split.Input.Rows) || !(done ??= new()).Add((column.Op, column.Site))) continue;
                string statistic = column.Source.Method.StartsWith("a ", System.StringComparison.Ordinal) ? column.Source.Method : $"'{column.Source.Method}'";
                Add(Diagnostics.StatisticBeforeSplit, column.Op, column.Site,
                    new object[] { CallName(column.Op, column.Site, $"{Receiver(column.Op)}.WithColumn"), statistic, Describe(column.Source.Rows), SplitName(split.Split) },
                    related: split.Split.Site);
            }
        }
    }

    /// <summary>MG0021: rows resampled, then split into training and validation rows (KFold, TrainValidation).</summary>
    private HashSet<IOperation> OversampleBeforeSplit()
    {
        var flagged = new HashSet<IOperation>();
        foreach (var split in Ordered(_facts.Splits))
        {
            if (split.Split.Method is not (SplitMethod.KFold or SplitMethod.TrainValidation)) continue;
            for (var rows = split.Input.Rows; rows is FilteredRows or ResampledRows; rows = rows is FilteredRows f ? f.Parent : ((ResampledRows)rows).Parent)
            {
                if (rows is not ResampledRows r || !flagged.Add(r.Op)) continue;
                Add(Diagnostics.OversampleBeforeSplit, r.Op, r.Site,
                    new object[] { CallName(r.Op, r.Site, $"{r.Sampler}.{MethodName(r.Op)}"), SplitName(split.Split) }, related: split.Split.Site);
            }
        }
        return flagged;
    }

    /// <summary>MG0022: Model.Fit on a dataset of test rows, or of rows that include them.</summary>
    private void TrainOnTest()
    {
        foreach (var fit in Ordered(_facts.ModelFits))
        {
            if (fit.Train is not { } data) continue;
            string? what = null;
            IOperation? related = null;
            if (data.Source.Role == Role.Test) what = DescribeTest(data.Source);
            else if (TestRowsIn(data.Source.Rows) is { } test && !AfterEveryTestUse(fit.Site))
            {
                what = $"{Describe(data.Source.Rows)}, which include the test rows of '{test.Origin}'";
                related = test.Site;
            }
            if (what is null) continue;
            Add(Diagnostics.TrainOnTestRows, fit.Op, fit.Site, new object[] { CallName(fit.Op, fit.Site, $"{Receiver(fit.Op)}.Fit"), what + Enlarged(fit) }, related);
        }
    }

    /// <summary>What Fit's augment or sampling does to the rows it trains on, for messages.</summary>
    private static string Enlarged(ModelFitEvent fit) =>
        fit.Augment is not null ? $", and augments them ({Short(fit.Augment.Syntax.ToString())}) every epoch"
        : fit.Sampling is not null ? $", and oversamples them ({Short(fit.Sampling.Syntax.ToString())}) every epoch"
        : "";

    /// <summary>
    /// Whether each pass of the loop or lambda around a test evaluation makes its own test rows (one split per region,
    /// say): the best of those scores compares test sets, not models.
    /// </summary>
    private bool OwnTestRowsPerPass(TestScoreMark score)
    {
        if (!_facts.Evals.TryGetValue((score.Eval, score.Site), out var e) || e.Data is null) return false;
        for (var p = score.Site.Parent; p is not null && p != _body; p = p.Parent)
            if (p is ILoopOperation or IAnonymousFunctionOperation && MadeInside(e.Data.Source.Rows, p)) return true;
        if (score.Eval == score.Site) return false;
        for (var p = score.Eval.Parent; p is not null; p = p.Parent)
            if (p is ILoopOperation or IAnonymousFunctionOperation && MadeInside(e.Data.Source.Rows, p)) return true;
        return false;
    }

    /// <summary>MG0023: test data as Fit's validation set, or evaluated in its onEpoch callback.</summary>
    private void TestSteersTraining()
    {
        foreach (var fit in Ordered(_facts.ModelFits))
        {
            string name = CallName(fit.Op, fit.Site, $"{Receiver(fit.Op)}.Fit");
            if (fit.Validation is { Source.Role: Role.Test } validation)
            {
                Add(Diagnostics.TestForEarlyStopping, fit.Op, fit.Site, new object[] { name, $"validates on {DescribeTest(validation.Source)}" });
                continue;
            }
            var callback = Ordered(_facts.Evals).FirstOrDefault(e => e.FitCallback == fit.Op && e.Data is { Source.Role: Role.Test });
            if (callback is not null)
                Add(Diagnostics.TestForEarlyStopping, fit.Op, fit.Site,
                    new object[] { name, $"evaluates {DescribeTest(callback.Data!.Source)} after every epoch (onEpoch)" }, related: callback.Op);
        }
    }

    /// <summary>MG0024: a second model (or the same one, trained further) evaluated on test data, or test evaluations in a loop that trains.</summary>
    private void TestEvaluatedTwice()
    {
        var tests = Ordered(_facts.Evals).Where(e => e.Data is { Source.Role: Role.Test } && e.FitCallback is null && !e.InLambda).ToList();
        if (tests.Count == 0) return;
        var trainingLoops = new HashSet<IOperation>(_facts.ModelFits.Values.SelectMany(f => Loops(f.Site)));
        var pairs = new List<EvalEvent>();
        foreach (var e in tests)
        {
            string name = CallName(e.Op, e.Site, $"{Receiver(e.Op)}.{MethodName(e.Op)}");
            // A loop that trains a model and scores it on the same test rows every time (not a test set of its own per pass).
            if (Loops(e.Site).Any(l => trainingLoops.Contains(l) && !MadeInside(e.Data!.Source.Rows, l) && !RepeatsWithSeeds(l)))
                Add(Diagnostics.TestEvaluatedTwice, e.Op, e.Site, new object[] { name, "an evaluation on the test data inside a loop that trains models" });
            else if (e.ModelId is not null && e.Fits >= 0)
                pairs.Add(e);
        }
        if (pairs.Count < 2) return;
        var seen = new HashSet<(object, int)>();
        for (int i = 0; i < pairs.Count; i++)
        {
            var e = pairs[i];
            if (!seen.Add((e.ModelId!, e.Fits)) || i == 0) continue;
            var earlier = pairs.Take(i).FirstOrDefault(p => !(Equals(p.ModelId, e.ModelId) && p.Fits == e.Fits)
                && p.Data!.Source.Rows.Equals(e.Data!.Source.Rows) && !Exclusive(p.Site, e.Site));
            if (earlier is null) continue;
            string name = CallName(e.Op, e.Site, $"{Receiver(e.Op)}.{MethodName(e.Op)}");
            string first = CallName(earlier.Op, earlier.Site, $"{Receiver(earlier.Op)}.{MethodName(earlier.Op)}");
            string what = Equals(earlier.ModelId, e.ModelId)
                ? $"the same model evaluated on the test data again after more training (after '{first}')"
                : $"a second model evaluated on the test data (after '{first}')";
            Add(Diagnostics.TestEvaluatedTwice, e.Op, e.Site, new object[] { name, what }, related: earlier.Site);
        }
    }

    /// <summary>MG0024: several test scores (one per model of a collection, or per pass of a loop) compared by Max, MaxBy, OrderBy, ...</summary>
    private void ChoiceByTestScores()
    {
        if (_facts.Choices.Count == 0) return;
        var chosen = new HashSet<(IOperation, IOperation)>();
        foreach (var choice in Ordered(_facts.Choices))
        {
            foreach (var score in choice.Scores)
            {
                // Repeating one recipe with other seeds measures its spread (best and worst seed); it chooses no model.
                if (Loops(score.Site).Any(RepeatsWithSeeds) || OwnTestRowsPerPass(score) || !chosen.Add((score.Eval, score.Site))) continue;
                string name = CallName(score.Eval, score.Site, $"{Receiver(score.Eval)}.{MethodName(score.Eval)}");
                Add(Diagnostics.TestEvaluatedTwice, score.Eval, score.Site,
                    new object[] { name, $"evaluated on the test data once per model, and '{choice.Method}' picks by those scores" }, related: choice.Site);
            }
        }
    }

    /// <summary>MG0025: a transformer fitted on rows that include validation rows, applied to them, or applied before the split into folds.</summary>
    private void PreprocessingOutsideFolds(HashSet<IOperation> fitOnTest, HashSet<IOperation> resampled)
    {
        bool Eligible(FitInfo fit) => fit.Transformer.Learns && fit.Rows is not null && !fitOnTest.Contains(fit.Op) && !resampled.Contains(fit.Op);

        foreach (var t in Ordered(_facts.Transforms))
        {
            if (t.Fit is not { } fit || t.Input is null || !Eligible(fit)) continue;
            var rows = t.Input.Rows;
            while (rows is FilteredRows f) rows = f.Parent;
            if (rows is not PartRows { Part: Role.Validation } part || !Contains(fit.Rows!, part)) continue;
            Add(Diagnostics.PreprocessingOutsideFolds, t.Op, t.Site,
                new object[] { CallName(t.Op, t.Site, $"{Receiver(t.Op)}.Transform"), "applies", fit.Transformer.Name, Describe(fit.Rows!), SplitName(part.Split) },
                related: fit.Site);
        }
        foreach (var split in Ordered(_facts.Splits))
        {
            if (split.Split.Method is not (SplitMethod.KFold or SplitMethod.TrainValidation)) continue;
            var fit = split.Input.Applied.FirstOrDefault(a => Eligible(a) && Contains(a.Rows!, split.Input.Rows));
            if (fit is null) continue;
            Add(Diagnostics.PreprocessingOutsideFolds, split.Split.Op, split.Split.Site,
                new object[] { CallName(split.Split.Op, split.Split.Site, SplitName(split.Split)), "splits rows already transformed by", fit.Transformer.Name, Describe(fit.Rows!), SplitName(split.Split) },
                related: fit.Site);
        }
    }

    /// <summary>MG0026 and MG0027: a split kind that ignores the table's timestamp or group key.</summary>
    private void SplitKinds()
    {
        foreach (var split in Ordered(_facts.Splits))
        {
            if (split.Kind is not int kind) continue;
            var columns = split.Input.Columns;
            string? group = columns.NameWithRole(_api.RoleGroupKey);
            string? time = columns.NameWithRole(_api.RoleTimestamp);
            bool direct = split.Split.Op == split.Split.Site && split.KindArgument is not null;
            var location = direct ? split.KindArgument!.Syntax.GetLocation() : null;
            string name = CallName(split.Split.Op, split.Split.Site, SplitName(split.Split));
            string kindName = _api.KindName(kind) ?? kind.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (group is not null && kind != _api.KindGroup)
            {
                Add(Diagnostics.GroupsAcrossSplit, split.Split.Op, split.Split.Site, new object[] { name, group, kindName }, location: location,
                    properties: direct ? ImmutableDictionary<string, string?>.Empty.Add(LeakageFixProperties.SplitKind, "Group") : null);
            }
            else if (group is null && time is not null && (kind == _api.KindRandom || kind == _api.KindStratified))
            {
                Add(Diagnostics.ShuffledTimeSplit, split.Split.Op, split.Split.Site, new object[] { name, time, kindName }, location: location,
                    properties: direct ? ImmutableDictionary<string, string?>.Empty.Add(LeakageFixProperties.SplitKind, "TimeOrdered") : null);
            }
        }
    }

    /// <summary>MG0028: a KnownAfterOutcome column named among ToDataset's features with allowKnownAfterOutcome: true.</summary>
    private void KnownAfterOutcome()
    {
        foreach (var e in Ordered(_facts.ToDatasets))
        {
            if (!e.AllowKnownAfterOutcome || e.Features is null || e.Table is null) continue;
            var columns = e.Table.Columns;
            var late = e.Features.Items.OfType<ConstVal>().Select(c => c.Value).OfType<string>()
                .Where(n => columns.RoleOf(n) == _api.RoleKnownAfterOutcome).Distinct().ToList();
            if (late.Count == 0) continue;
            string list = late.Count == 1 ? $"'{late[0]}'" : string.Join(", ", late.Take(late.Count - 1).Select(n => $"'{n}'")) + $" and '{late[late.Count - 1]}'";
            Add(Diagnostics.KnownAfterOutcomeInput, e.Op, e.Site,
                new object[] { CallName(e.Op, e.Site, $"{Receiver(e.Op)}.{MethodName(e.Op)}"), list, late.Count == 1 ? "it is" : "they are" });
        }
    }

    /// <summary>MG0029: a feature computed from label cells (WithColumn), or the label named among ToDataset's features.</summary>
    private void LabelInputs()
    {
        foreach (var e in Ordered(_facts.LabelFeatures))
        {
            string column = e.Column is null ? "a feature" : $"the feature '{e.Column}'";
            string label = e.Label.Column is null ? "the label" : $"the label '{e.Label.Column}'";
            Add(Diagnostics.LabelAsInput, e.Op, e.Site,
                new object[] { CallName(e.Op, e.Site, $"{Receiver(e.Op)}.WithColumn"), $"adds {column}, computed from {label} of each row" }, related: e.Label.Op);
        }
        foreach (var e in Ordered(_facts.ToDatasets))
        {
            if (e.Features is null || e.Table is null) continue;
            var columns = e.Table.Columns;
            var label = e.Features.Items.OfType<ConstVal>().Select(c => c.Value).OfType<string>().FirstOrDefault(n => columns.RoleOf(n) == _api.RoleLabel);
            if (label is null) continue;
            Add(Diagnostics.LabelAsInput, e.Op, e.Site,
                new object[] { CallName(e.Op, e.Site, $"{Receiver(e.Op)}.{MethodName(e.Op)}"), $"lists the label '{label}' among the features" });
        }
    }

    /// <summary>MG0030: rows of a table with a timestamp put in a random order, then cut by position.</summary>
    private void ShuffledBeforeCut()
    {
        if (_facts.Cuts.Count == 0) return;
        var done = new HashSet<(IOperation, IOperation)>();
        foreach (var cut in Ordered(_facts.Cuts))
        {
            string? time = cut.Shuffle.Timestamp ?? cut.Timestamp;
            if (time is null || !done.Add((cut.Shuffle.Op, cut.Shuffle.Site))) continue;
            Add(Diagnostics.ShuffledBeforeOrderedCut, cut.Shuffle.Op, cut.Shuffle.Site,
                new object[] { CallName(cut.Shuffle.Op, cut.Shuffle.Site, $"{Receiver(cut.Shuffle.Op)}.Rows"), time, CallName(cut.Op, cut.Site, $"{Receiver(cut.Op)}.{MethodName(cut.Op)}") },
                related: cut.Site);
        }
    }

    /// <summary>MG0031: Model.Fit on rows that include the rows of its own validation set.</summary>
    private void TrainOnValidation()
    {
        foreach (var fit in Ordered(_facts.ModelFits))
        {
            if (fit.Train is not { } train || fit.Validation is not { } validation) continue;
            if (train.Source.Role == Role.Test || validation.Source.Role == Role.Test) continue; // MG0022, MG0023
            if (!Contains(train.Source.Rows, validation.Source.Rows)) continue;
            string augmented = fit.Augment is not null ? ", and augments them, so augmented twins of every validation image are trained on"
                : fit.Sampling is not null ? ", and oversamples them" : "";
            Add(Diagnostics.TrainOnValidationRows, fit.Op, fit.Site,
                new object[] { CallName(fit.Op, fit.Site, $"{Receiver(fit.Op)}.Fit"), Describe(train.Source.Rows), Describe(validation.Source.Rows), augmented });
        }
    }
}

/// <summary>Keys of the leakage diagnostics' properties that the code fixes read.</summary>
public static class LeakageFixProperties
{
    /// <summary>MG0026/MG0027: the SplitKind member to use instead ("TimeOrdered" or "Group"); present when the kind argument is in the reported call.</summary>
    public const string SplitKind = "ModelGen.SplitKind";

    /// <summary>MG0019: the local holding the split's training part, to fit on instead of <c>x.AsTrain()</c>.</summary>
    public const string TrainPart = "ModelGen.TrainPart";
}
