using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using ModelGen.FrontEnd;

namespace ModelGen.Analyzers.Leakage;

// ───────────── what the interpretation of one method body records ─────────────

/// <summary>A call of Split.* (its kind when constant).</summary>
internal sealed record SplitEvent(SplitSite Split, TableVal Input, IOperation? KindArgument, int? Kind);

/// <summary>A call of AsTest() on the rows <see cref="Input"/>.</summary>
internal sealed record AsTestEvent(IOperation Op, IOperation Site, RowSet Input);

/// <summary>A Fit, FitTransform or Resample of a transformer. <see cref="TrainPart"/>: the local holding the training part that could replace an <c>x.AsTrain()</c> argument.</summary>
internal sealed record FitEvent(FitInfo Fit, TableVal? Input, string MethodName, IOperation? AsTrainArgument, string? TrainPart);

/// <summary>A FittedTransformer.Transform.</summary>
internal sealed record TransformEvent(IOperation Op, IOperation Site, FitInfo? Fit, TableVal? Input);

/// <summary>A Model.Fit; <see cref="Augment"/> and <see cref="Sampling"/> are its augment and sampling arguments when given.</summary>
internal sealed record ModelFitEvent(IOperation Op, IOperation Site, DatasetVal? Train, DatasetVal? Validation, IOperation? Augment, IOperation? Sampling);

/// <summary>A Model.Evaluate or ModelScores.Evaluate; <see cref="Fits"/> is how often the model was trained before (−1 unknown).</summary>
internal sealed record EvalEvent(IOperation Op, IOperation Site, object? ModelId, int Fits, DatasetVal? Data, IOperation? FitCallback, bool InLambda);

/// <summary>A WithColumn adding the feature <see cref="Column"/> computed from label cells.</summary>
internal sealed record LabelFeatureEvent(IOperation Op, IOperation Site, string? Column, LabelMark Label);

/// <summary>A choice (Max, MaxBy, OrderBy, ...) over scores of several test-set evaluations.</summary>
internal sealed record ChoiceEvent(IOperation Op, IOperation Site, string Method, EquatableArray<TestScoreMark> Scores);

/// <summary>A table's rows put in a random order by <see cref="Op"/> (<c>Rows</c> of shuffled indices); <see cref="Timestamp"/>: the table's timestamp column then, when known.</summary>
internal sealed record Shuffle(IOperation Op, IOperation Site, string? Timestamp);

/// <summary>A cut by position (Rows of a range, Where on the row index, Dataset.Split or Slice) of rows that were shuffled.</summary>
internal sealed record CutEvent(IOperation Op, IOperation Site, Shuffle Shuffle, string? Timestamp, string How);

/// <summary>A ToDataset or ToFeatureMatrix.</summary>
internal sealed record ToDatasetEvent(IOperation Op, IOperation Site, TableVal? Table, ListVal? Features, bool AllowKnownAfterOutcome);

/// <summary>Everything the interpretation of one body found. Events are keyed by (operation, site), so a later pass over a loop overwrites an earlier one.</summary>
internal sealed class Facts
{
    public readonly Dictionary<(IOperation, IOperation), SplitEvent> Splits = new();
    public readonly Dictionary<(IOperation, IOperation), AsTestEvent> AsTests = new();
    public readonly Dictionary<(IOperation, IOperation), FitEvent> Fits = new();
    public readonly Dictionary<(IOperation, IOperation), TransformEvent> Transforms = new();
    public readonly Dictionary<(IOperation, IOperation), ModelFitEvent> ModelFits = new();
    public readonly Dictionary<(IOperation, IOperation), EvalEvent> Evals = new();
    public readonly Dictionary<(IOperation, IOperation), ToDatasetEvent> ToDatasets = new();
    public readonly Dictionary<(IOperation, IOperation), LabelFeatureEvent> LabelFeatures = new();
    public readonly Dictionary<(IOperation, IOperation), ChoiceEvent> Choices = new();
    public readonly Dictionary<(IOperation, IOperation), CutEvent> Cuts = new();

    /// <summary>Display names of row sets (the local or parameter that first held them).</summary>
    public readonly Dictionary<RowSet, string> Names = new();

    /// <summary>The end of the last place (in the analysed body) where test rows are used; −1 when none.</summary>
    public int LastTestUseEnd = -1;

    /// <summary>Test rows are used inside a lambda, whose time of running is unknown.</summary>
    public bool DeferredTestUse;

    /// <summary>The body was too large or too deep to finish; nothing is reported from it.</summary>
    public bool Aborted;
}

/// <summary>
/// An abstract interpreter of one method body over <see cref="Val"/>: locals and parameters map to abstract values,
/// calls of the data API transform them, branches are joined, loops iterated to a fixed point, and same-file helper
/// methods and local functions are interpreted in place with their arguments (context-sensitive inlining, bounded).
/// Whatever it does not recognise becomes Unknown, which never leads to a report.
/// </summary>
internal sealed class Interpreter
{
    private const int MaxDepth = 4;
    private const int MaxLoopPasses = 8;

    /// <summary>Deeper operation trees (a sum of thousands of terms) are left alone rather than risk the stack.</summary>
    private const int MaxNesting = 300;

    private static readonly HashSet<string> Aggregates = new(StringComparer.Ordinal)
    {
        "Average", "Sum", "Min", "Max", "MinBy", "MaxBy", "Aggregate", "OrderBy", "OrderByDescending", "Order",
        "OrderDescending", "ThenBy", "ThenByDescending", "GroupBy", "ToLookup", "CountBy", "AggregateBy",
    };

    private static readonly HashSet<string> ElementPicks = new(StringComparer.Ordinal)
    {
        "ElementAt", "ElementAtOrDefault", "First", "FirstOrDefault", "Last", "LastOrDefault", "Single", "SingleOrDefault",
    };

    /// <summary>Enumerable methods that pick the best (or rank) of several values: applied to test scores, they choose by test score.</summary>
    private static readonly HashSet<string> Choosers = new(StringComparer.Ordinal)
    {
        "Max", "Min", "MaxBy", "MinBy", "OrderBy", "OrderByDescending", "Order", "OrderDescending", "ThenBy", "ThenByDescending",
    };

    private readonly DataApi _api;
    private readonly SemanticModel _model;
    private readonly CancellationToken _ct;
    private readonly Facts _facts = new();
    private readonly List<IMethodSymbol> _stack = new();
    private readonly Dictionary<IMethodSymbol, IOperation?> _bodies = new(SymbolEqualityComparer.Default);
    private readonly Dictionary<IMethodSymbol, IOperation> _localFunctions = new(SymbolEqualityComparer.Default);
    private readonly Dictionary<IOperation, RowSet> _asTrainReceivers = new();
    private FlowState _s = FlowState.Empty;
    private IOperation? _site;
    private Val? _returns;
    private List<IOperation> _loops = new();
    private int _lambdaDepth;
    private IOperation? _fitCallback;
    private int _budget = 60_000;
    private int _depth;

    private Interpreter(DataApi api, SemanticModel model, CancellationToken ct)
    {
        _api = api;
        _model = model;
        _ct = ct;
    }

    private sealed class BudgetExceededException : Exception
    {
    }

    /// <summary>Interprets <paramref name="body"/> (a method body of the tree of <paramref name="model"/>).</summary>
    public static Facts Run(DataApi api, SemanticModel model, IOperation body, CancellationToken ct)
    {
        var interpreter = new Interpreter(api, model, ct);
        try
        {
            interpreter.CollectLocalFunctions(body);
            interpreter.Eval(body);
        }
        catch (BudgetExceededException)
        {
            interpreter._facts.Aborted = true;
        }
        return interpreter._facts;
    }

    private IOperation Site(IOperation op) => _site ?? op;

    // ───────────── evaluation ─────────────

    private Val Eval(IOperation? op)
    {
        if (op is null) return UnknownVal.Instance;
        if (--_budget < 0 || _depth >= MaxNesting) throw new BudgetExceededException();
        if ((_budget & 255) == 0) _ct.ThrowIfCancellationRequested();
        _depth++;
        try
        {
            return EvalCore(op);
        }
        finally
        {
            _depth--;
        }
    }

    private Val EvalCore(IOperation op)
    {

        Val v = op.ConstantValue.HasValue ? new ConstVal(op.ConstantValue.Value) : op switch
        {
            IBlockOperation b => EvalAll(b.Operations),
            IVariableDeclaratorOperation d => Declare(d),
            IExpressionStatementOperation e => Eval(e.Operation),
            IReturnOperation r => Return(r),
            IConditionalOperation c => Conditional(c),
            ILoopOperation l => Loop(l),
            ISwitchOperation sw => Switch(sw),
            ISwitchExpressionOperation se => SwitchExpression(se),
            ITryOperation t => Try(t),
            ILocalFunctionOperation => UnknownVal.Instance,
            IAnonymousFunctionOperation a => Lambda(a),
            IDelegateCreationOperation d => Eval(d.Target),
            ILocalReferenceOperation l => ReadSymbol(l.Local, l.Type, l),
            IParameterReferenceOperation p => ReadSymbol(p.Parameter, p.Type, p),
            IFieldReferenceOperation f => Field(f),
            IPropertyReferenceOperation p => Property(p),
            IConversionOperation c => Eval(c.Operand),
            IParenthesizedOperation p => Eval(p.Operand),
            IDeclarationExpressionOperation d => Eval(d.Expression),
            ISimpleAssignmentOperation a => Assign(a),
            IDeconstructionAssignmentOperation d => Deconstruct(d),
            ICompoundAssignmentOperation c => Accumulate(c.Target, Eval(c.Target).Taint.Union(Eval(c.Value).Taint), c),
            ICoalesceAssignmentOperation c => Accumulate(c.Target, Eval(c.Target).Taint.Union(Eval(c.Value).Taint), c),
            IIncrementOrDecrementOperation i => Accumulate(i.Target, Eval(i.Target).Taint, i),
            IInvocationOperation inv => Invoke(inv),
            IObjectCreationOperation oc => Create(oc),
            IArrayCreationOperation ac => ArrayCreation(ac),
            ICollectionExpressionOperation ce => Collection(ce),
            ITupleOperation t => new TupleVal(t.Elements.Select(Eval).ToEquatableArray()),
            ICoalesceOperation c => FlowState.Join(Eval(c.Value), Eval(c.WhenNull)),
            IBinaryOperation b => Binary(b),
            IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } u => Not(Eval(u.Operand)),
            _ => Generic(op),
        };
        v = TypeFallback(op, v);
        if (IsTestValue(v)) NoteTestUse(op);
        return v;
    }

    private Val EvalAll(IEnumerable<IOperation> operations)
    {
        foreach (var o in operations) Eval(o);
        return UnknownVal.Instance;
    }

    private Val Generic(IOperation op)
    {
        var taint = Taint.None;
        foreach (var child in op.ChildOperations) taint = taint.Union(Eval(child).Taint);
        return taint.IsEmpty ? UnknownVal.Instance : new UnknownVal { Taint = taint };
    }

    /// <summary>Comparisons and logic over known constants (a column's name or role in a filter); anything else only carries taint.</summary>
    private Val Binary(IBinaryOperation b)
    {
        var left = Eval(b.LeftOperand);
        var right = Eval(b.RightOperand);
        object? l = (left as ConstVal)?.Value, r = (right as ConstVal)?.Value;
        bool known = left is ConstVal && right is ConstVal;
        switch (b.OperatorKind)
        {
            case BinaryOperatorKind.Equals when known:
                return new ConstVal(Equals(l, r));
            case BinaryOperatorKind.NotEquals when known:
                return new ConstVal(!Equals(l, r));
            case BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.And when l is false || r is false:
                return new ConstVal(false);
            case BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.And when l is true && r is true:
                return new ConstVal(true);
            case BinaryOperatorKind.ConditionalOr or BinaryOperatorKind.Or when l is true || r is true:
                return new ConstVal(true);
            case BinaryOperatorKind.ConditionalOr or BinaryOperatorKind.Or when l is false && r is false:
                return new ConstVal(false);
        }
        return Tainted(left.Taint.Union(right.Taint));
    }

    private static Val Not(Val operand) => operand is ConstVal { Value: bool x } ? new ConstVal(!x) : Tainted(operand.Taint);

    /// <summary>A value the analysis does not follow still has a type: a table of unknown origin gets rows of its own.</summary>
    private Val TypeFallback(IOperation op, Val v)
    {
        if (v is not UnknownVal || op.Type is null) return v;
        var role = _api.RoleOf(op.Type);
        if (role != Role.None)
            return new TableVal(new RootRows(op, _site), role, Columns.Empty, EquatableArray<FitInfo>.Empty, EquatableArray<StatColumn>.Empty) { Taint = v.Taint };
        if (DataApi.DerivesFrom(op.Type, _api.Transformer))
            return new TransformerVal(_api.InfoOf(op.Type, explicitColumns: true)) { Taint = v.Taint };
        return v;
    }

    private static bool IsTestValue(Val v) => v switch
    {
        TableVal { Role: Role.Test } => true,
        DatasetVal { Source.Role: Role.Test } => true,
        SplitVal { Site.Method: SplitMethod.TrainTest or SplitMethod.TrainValidationTest } => true,
        _ => false,
    };

    private void NoteTestUse(IOperation op)
    {
        var site = Site(op);
        if (_lambdaDepth > 0) _facts.DeferredTestUse = true;
        if (site.Syntax.Span.End > _facts.LastTestUseEnd) _facts.LastTestUseEnd = site.Syntax.Span.End;
    }

    // ───────────── locals, parameters, fields ─────────────

    private Val ReadSymbol(ISymbol symbol, ITypeSymbol? type, IOperation op)
    {
        if (op is ILocalReferenceOperation { IsDeclaration: true }) return UnknownVal.Instance;
        if (_s.Locals.TryGetValue(symbol, out var v)) return v;
        // Never assigned in a way followed here (a parameter, a pattern variable): the symbol itself names its rows.
        Val initial = UnknownVal.Instance;
        var role = _api.RoleOf(type);
        if (role != Role.None)
        {
            var rows = new RootRows(symbol, _site);
            if (!_facts.Names.ContainsKey(rows)) _facts.Names[rows] = symbol.Name;
            initial = new TableVal(rows, role, Columns.Empty, EquatableArray<FitInfo>.Empty, EquatableArray<StatColumn>.Empty);
        }
        else if (_api.IsAnyModel(type)) initial = new ModelVal(symbol);
        else if (DataApi.DerivesFrom(type, _api.Transformer)) initial = new TransformerVal(_api.InfoOf(type, explicitColumns: true));
        _s = _s.With(symbol, initial);
        return initial;
    }

    private void Set(ISymbol symbol, Val v)
    {
        if (v is TableVal { Rows: RootRows or PartRows } table && !_facts.Names.ContainsKey(table.Rows)) _facts.Names[table.Rows] = symbol.Name;
        _s = _s.With(symbol, v);
    }

    private Val Declare(IVariableDeclaratorOperation d)
    {
        var init = d.Initializer?.Value;
        if (init is null) return UnknownVal.Instance;
        var v = Eval(init);
        Set(d.Symbol, v);
        return v;
    }

    private Val Field(IFieldReferenceOperation f)
    {
        var instance = f.Instance is null ? null : Eval(f.Instance);
        if (instance is TupleVal tuple && TupleIndex(f.Field) is int i && i < tuple.Items.Count) return tuple.Items[i];
        if (f.Field.IsReadOnly || f.Field.IsConst)
        {
            var role = _api.RoleOf(f.Type);
            if (role != Role.None)
            {
                var rows = new RootRows(f.Field, null);
                if (!_facts.Names.ContainsKey(rows)) _facts.Names[rows] = f.Field.Name;
                return new TableVal(rows, role, Columns.Empty, EquatableArray<FitInfo>.Empty, EquatableArray<StatColumn>.Empty);
            }
            if (_api.IsAnyModel(f.Type)) return new ModelVal(f.Field);
        }
        return instance is null || instance.Taint.IsEmpty ? UnknownVal.Instance : new UnknownVal { Taint = instance.Taint };
    }

    private static int? TupleIndex(IFieldSymbol field)
    {
        var item = field.CorrespondingTupleField ?? field;
        if (!field.ContainingType.IsTupleType || !item.Name.StartsWith("Item", StringComparison.Ordinal)) return null;
        return int.TryParse(item.Name.Substring(4), out int n) && n >= 1 ? n - 1 : null;
    }

    private Val Assign(ISimpleAssignmentOperation a)
    {
        var v = Eval(a.Value);
        AssignTo(a.Target, v, replace: true);
        return v;
    }

    /// <summary>Writes <paramref name="v"/> to a local or parameter; a write into an element of one only adds its taint.</summary>
    private void AssignTo(IOperation target, Val v, bool replace)
    {
        switch (target)
        {
            case ILocalReferenceOperation l when replace:
                Set(l.Local, v);
                break;
            case IParameterReferenceOperation p when replace:
                Set(p.Parameter, v);
                break;
            case IArrayElementReferenceOperation e:
                foreach (var i in e.Indices) Eval(i);
                TaintContainer(e.ArrayReference, v.Taint);
                break;
            case IPropertyReferenceOperation { Property.IsIndexer: true } p when p.Instance is not null:
                foreach (var arg in p.Arguments) Eval(arg.Value);
                TaintContainer(p.Instance, v.Taint);
                break;
            case IFieldReferenceOperation f when f.Instance is not null:
                Eval(f.Instance);
                break;
        }
    }

    /// <summary>A local whose content changed (an element written, an item added): it is no longer a known list, and carries the taint.</summary>
    private void TaintContainer(IOperation container, Taint taint)
    {
        var symbol = container switch
        {
            ILocalReferenceOperation l => (ISymbol)l.Local,
            IParameterReferenceOperation p => p.Parameter,
            _ => null,
        };
        if (symbol is null) return;
        var old = _s.Locals.TryGetValue(symbol, out var v) ? v : UnknownVal.Instance;
        var merged = old.Taint.Union(taint);
        if (old is ListVal or ConstVal or UnknownVal) _s = _s.With(symbol, new UnknownVal { Taint = merged });
        else if (!merged.Equals(old.Taint)) _s = _s.With(symbol, old with { Taint = merged });
    }

    /// <summary>
    /// <c>x += v</c>, <c>x++</c>: inside a loop, adding up values of rows into a local declared outside the loop is a
    /// statistic over those rows (a running total).
    /// </summary>
    private Val Accumulate(IOperation target, Taint taint, IOperation op)
    {
        if (target is ILocalReferenceOperation l && _loops.Count > 0 && !taint.Data.IsEmpty)
        {
            var loopSpan = _loops[_loops.Count - 1].Syntax.Span;
            var declared = l.Local.DeclaringSyntaxReferences.FirstOrDefault();
            if (declared is not null && declared.SyntaxTree == _loops[_loops.Count - 1].Syntax.SyntaxTree && !loopSpan.Contains(declared.Span))
                taint = taint.WithStatistic("a running total", op);
        }
        var v = taint.IsEmpty ? UnknownVal.Instance : new UnknownVal { Taint = taint };
        AssignTo(target, v, replace: true);
        return v;
    }

    private Val Deconstruct(IDeconstructionAssignmentOperation d)
    {
        var v = Eval(d.Value);
        Bind(d.Target, v);
        return v;
    }

    private void Bind(IOperation target, Val v)
    {
        switch (target)
        {
            case IDeclarationExpressionOperation d:
                Bind(d.Expression, v);
                break;
            case IConversionOperation c:
                Bind(c.Operand, v);
                break;
            case ITupleOperation t:
            {
                var items = Items(v, t.Elements.Length);
                for (int i = 0; i < t.Elements.Length; i++) Bind(t.Elements[i], items[i]);
                break;
            }
            case IVariableDeclaratorOperation d:
                Set(d.Symbol, v);
                break;
            case ILocalReferenceOperation l:
                Set(l.Local, v);
                break;
            case IParameterReferenceOperation p:
                Set(p.Parameter, v);
                break;
            case IVariableDeclarationGroupOperation g:
                foreach (var decl in g.Declarations)
                    foreach (var declarator in decl.Declarators)
                        Set(declarator.Symbol, v);
                break;
        }
    }

    /// <summary>The parts a value deconstructs into.</summary>
    private Val[] Items(Val v, int count)
    {
        Val[] parts = v switch
        {
            TupleVal t when t.Items.Count == count => t.Items.ToArray(),
            SplitVal { Site.Method: SplitMethod.TrainTest } s when count == 2 => new Val[] { Part(s.Site, s.Input, Role.Train), Part(s.Site, s.Input, Role.Test) },
            SplitVal { Site.Method: SplitMethod.TrainValidation } s when count == 2 => new Val[] { Part(s.Site, s.Input, Role.Train), Part(s.Site, s.Input, Role.Validation) },
            SplitVal { Site.Method: SplitMethod.TrainValidationTest } s when count == 3 =>
                new Val[] { Part(s.Site, s.Input, Role.Train), Part(s.Site, s.Input, Role.Validation), Part(s.Site, s.Input, Role.Test) },
            FoldVal f when count == 3 => new Val[] { UnknownVal.Instance, Part(f.Site, f.Input, Role.Train), Part(f.Site, f.Input, Role.Validation) },
            _ => Enumerable.Repeat<Val>(v.Taint.IsEmpty ? UnknownVal.Instance : new UnknownVal { Taint = v.Taint }, count).ToArray(),
        };
        return parts;
    }

    private static TableVal Part(SplitSite site, TableVal input, Role part) =>
        new(new PartRows(site, part), part, input.Columns, input.Applied, EquatableArray<StatColumn>.Empty);

    // ───────────── control flow ─────────────

    private Val Return(IReturnOperation r)
    {
        var v = Eval(r.ReturnedValue);
        if (r.ReturnedValue is not null) _returns = _returns is null ? v : FlowState.Join(_returns, v);
        return v;
    }

    private Val Conditional(IConditionalOperation c)
    {
        var condition = Eval(c.Condition);
        var before = _s;
        var whenTrue = Eval(c.WhenTrue);
        var afterTrue = _s;
        _s = before;
        var whenFalse = c.WhenFalse is null ? null : Eval(c.WhenFalse);
        _s = afterTrue.Join(_s);
        if (whenFalse is null) return UnknownVal.Instance;
        var value = FlowState.Join(whenTrue, whenFalse);
        // The value of `cell > 0 ? 1 : 0` is computed from the cell as much as from its arms.
        return c.Type is null || condition.Taint.IsEmpty || value is not UnknownVal ? value : new UnknownVal { Taint = value.Taint.Union(condition.Taint) };
    }

    private Val Switch(ISwitchOperation sw)
    {
        Eval(sw.Value);
        var before = _s;
        FlowState? after = null;
        bool hasDefault = false;
        foreach (var section in sw.Cases)
        {
            _s = before;
            foreach (var clause in section.Clauses)
            {
                hasDefault |= clause is IDefaultCaseClauseOperation;
                Generic(clause);
            }
            EvalAll(section.Body);
            after = after is null ? _s : after.Join(_s);
        }
        _s = after is null ? before : hasDefault ? after : after.Join(before);
        return UnknownVal.Instance;
    }

    private Val SwitchExpression(ISwitchExpressionOperation se)
    {
        Eval(se.Value);
        var before = _s;
        FlowState? after = null;
        Val? result = null;
        foreach (var arm in se.Arms)
        {
            _s = before;
            Generic(arm.Pattern);
            Eval(arm.Guard);
            var v = Eval(arm.Value);
            result = result is null ? v : FlowState.Join(result, v);
            after = after is null ? _s : after.Join(_s);
        }
        _s = after ?? before;
        return result ?? UnknownVal.Instance;
    }

    private Val Try(ITryOperation t)
    {
        var before = _s;
        Eval(t.Body);
        var afterBody = _s;
        var after = afterBody;
        foreach (var c in t.Catches)
        {
            _s = before.Join(afterBody);
            Eval(c.Filter);
            Eval(c.Handler);
            after = after.Join(_s);
        }
        _s = after;
        Eval(t.Finally);
        return UnknownVal.Instance;
    }

    private Val Loop(ILoopOperation loop)
    {
        if (loop is IForLoopOperation forLoop)
            foreach (var b in forLoop.Before) Eval(b);
        Val? collection = loop is IForEachLoopOperation each ? Eval(each.Collection) : null;
        var head = _s;
        _loops.Add(loop);
        try
        {
            for (int pass = 0; ; pass++)
            {
                _s = head;
                switch (loop)
                {
                    case IForEachLoopOperation fe:
                        Bind(fe.LoopControlVariable, Element(collection!));
                        Eval(fe.Body);
                        break;
                    case IForLoopOperation f:
                        Eval(f.Condition);
                        Eval(f.Body);
                        foreach (var a in f.AtLoopBottom) Eval(a);
                        break;
                    case IWhileLoopOperation w:
                        Eval(w.Condition);
                        Eval(w.Body);
                        Eval(w.IgnoredCondition);
                        break;
                    default:
                        Generic(loop);
                        break;
                }
                var next = head.Join(_s);
                if (next.Equals(head) || pass >= MaxLoopPasses) break;
                head = pass >= 2 ? next.WidenFrom(head) : next;
            }
        }
        finally
        {
            _loops.RemoveAt(_loops.Count - 1);
        }
        _s = head;
        return UnknownVal.Instance;
    }

    /// <summary>The value of one element of a collection being iterated.</summary>
    private static Val Element(Val collection) => collection switch
    {
        SplitVal { Site.Method: SplitMethod.KFold } s => new FoldVal(s.Site, s.Input),
        ListVal list when list.Complete && list.Items.Count > 0 && list.Items.All(i => i.Equals(list.Items[0])) => list.Items[0],
        _ => collection.Taint.IsEmpty ? UnknownVal.Instance : new UnknownVal { Taint = collection.Taint },
    };

    private Val Lambda(IAnonymousFunctionOperation a)
    {
        var saved = _s;
        var savedReturns = _returns;
        var savedLoops = _loops;
        _returns = null;
        _loops = new List<IOperation>();
        _lambdaDepth++;
        Val? returned;
        try
        {
            Eval(a.Body);
            returned = _returns;
        }
        finally
        {
            _lambdaDepth--;
            _returns = savedReturns;
            _loops = savedLoops;
        }
        _s = saved;
        ForgetAssignedIn(a.Body);
        return returned is null || returned.Taint.IsEmpty ? UnknownVal.Instance : new UnknownVal { Taint = returned.Taint };
    }

    /// <summary>Locals of the enclosing body that a lambda assigns are unknown after it (it may run at any time).</summary>
    private void ForgetAssignedIn(IOperation body)
    {
        foreach (var d in body.Descendants())
        {
            var target = d switch
            {
                IAssignmentOperation x => x.Target,
                IIncrementOrDecrementOperation x => x.Target,
                _ => null,
            };
            if (target is ILocalReferenceOperation l && _s.Locals.TryGetValue(l.Local, out var old))
                _s = _s.With(l.Local, new UnknownVal { Taint = old.Taint });
        }
    }

    // ───────────── lists ─────────────

    private Val ArrayCreation(IArrayCreationOperation ac)
    {
        foreach (var size in ac.DimensionSizes) Eval(size);
        if (ac.Initializer is null) return new ListVal(EquatableArray<Val>.Empty, false);
        var items = ac.Initializer.ElementValues.Select(Eval).ToArray();
        return ListOf(items, complete: true);
    }

    private Val Collection(ICollectionExpressionOperation ce)
    {
        var items = new List<Val>();
        bool complete = true;
        foreach (var e in ce.Elements)
        {
            if (e is ISpreadOperation spread)
            {
                var inner = Eval(spread.Operand);
                if (inner is ListVal list)
                {
                    items.AddRange(list.Items);
                    complete &= list.Complete;
                }
                else
                {
                    complete = false;
                    if (!inner.Taint.IsEmpty) items.Add(new UnknownVal { Taint = inner.Taint });
                }
            }
            else items.Add(Eval(e));
        }
        return ListOf(items, complete);
    }

    private static ListVal ListOf(IReadOnlyCollection<Val> items, bool complete)
    {
        var taint = Taint.None;
        foreach (var i in items) taint = taint.Union(i.Taint);
        return new ListVal(items.ToEquatableArray(), complete) { Taint = taint };
    }

    /// <summary>The constant strings of a list of names, and whether it has no other item.</summary>
    private static (IReadOnlyList<string> Names, bool Complete)? Names(Val v)
    {
        if (v is not ListVal list) return null;
        var names = new List<string>();
        bool complete = list.Complete;
        foreach (var item in list.Items)
        {
            if (item is ConstVal { Value: string s }) names.Add(s);
            else complete = false;
        }
        return (names, complete);
    }

    // ───────────── calls ─────────────

    private List<(IArgumentOperation Arg, Val Val)> Arguments(IEnumerable<IArgumentOperation> arguments, IOperation? modelFit)
    {
        var result = new List<(IArgumentOperation, Val)>();
        foreach (var arg in arguments)
        {
            var savedCallback = _fitCallback;
            if (modelFit is not null && arg.Parameter?.Name == "onEpoch") _fitCallback = modelFit;
            Val v;
            try
            {
                v = Eval(arg.Value);
            }
            finally
            {
                _fitCallback = savedCallback;
            }
            if (arg.Parameter?.RefKind is RefKind.Out or RefKind.Ref) AssignTo(UnwrapDeclaration(arg.Value), UnknownVal.Instance, replace: true);
            result.Add((arg, v));
        }
        return result;
    }

    private static IOperation Unconverted(IOperation op)
    {
        while (op is IConversionOperation c) op = c.Operand;
        return op;
    }

    private static IOperation UnwrapDeclaration(IOperation op) => op is IDeclarationExpressionOperation d ? d.Expression : op;

    private static Val? Arg(List<(IArgumentOperation Arg, Val Val)> args, string name)
    {
        foreach (var (arg, v) in args)
            if (arg.Parameter?.Name == name) return v;
        return null;
    }

    private static IArgumentOperation? ArgOp(List<(IArgumentOperation Arg, Val Val)> args, string name)
    {
        foreach (var (arg, _) in args)
            if (arg.Parameter?.Name == name) return arg;
        return null;
    }

    /// <summary>The argument passed for <paramref name="name"/>, unless it is left out or null.</summary>
    private static IOperation? Given(List<(IArgumentOperation Arg, Val Val)> args, string name) =>
        ArgOp(args, name) is { ArgumentKind: not ArgumentKind.DefaultValue } arg && arg.Value.ConstantValue is not { HasValue: true, Value: null } ? arg.Value : null;

    private static Taint TaintOf(Val? instance, List<(IArgumentOperation Arg, Val Val)> args)
    {
        var taint = instance?.Taint ?? Taint.None;
        foreach (var (_, v) in args) taint = taint.Union(v.Taint);
        return taint;
    }

    private static Val Tainted(Taint taint) => taint.IsEmpty ? UnknownVal.Instance : new UnknownVal { Taint = taint };

    private Val Invoke(IInvocationOperation inv)
    {
        var method = inv.TargetMethod;
        var def = method.OriginalDefinition;
        var type = def.ContainingType;
        var instance = inv.Instance is null ? null : Eval(inv.Instance);
        bool isModelFit = def.Name == "Fit" && DataApi.Is(type, _api.Model);
        var args = Arguments(inv.Arguments, isModelFit ? inv : null);

        if (DataApi.Is(type, _api.Split)) return SplitCall(inv, def.Name, args);
        if (DataApi.Is(type, _api.TableRoles)) return RoleCall(inv, def.Name, args);
        if (DataApi.Is(type, _api.TableOf) && instance is TableVal table) return TableCall(inv, def.Name, table, args);
        if (DataApi.Is(type, _api.Table))
        {
            if (def.Name is "ToDataset" or "ToFeatureMatrix" && instance is TableVal source) return ToDataset(inv, def.Name, source, args);
            if (def.Name == "Create" && def.IsStatic) return Source(inv, ColumnsOf(Arg(args, "columns")));
        }
        if (def.Name is "Fit" or "FitTransform" && DataApi.DerivesFrom(type, _api.Transformer) && method.Parameters.Length == 1 && _api.RoleOf(method.Parameters[0].Type) == Role.Train)
            return TransformerFit(inv, def.Name, instance, args);
        if (def.Name == "Resample" && DataApi.DerivesFrom(type, _api.Sampler) && method.Parameters.Length == 1)
            return TransformerFit(inv, def.Name, instance, args);
        if (def.Name == "Transform" && DataApi.DerivesFrom(type, _api.FittedTransformer) && method.Parameters.Length == 1)
            return Transform(inv, instance, args);
        // Naming a dataset's input blocks or classes, or mapping its features, keeps its rows, and so where they came from.
        if (def.Name is "WithInputs" or "WithClassNames" or "MapFeatures" && instance is DatasetVal named) return named;
        if (def.Name is "Split" or "Slice" && DataApi.Is(type, _api.Dataset) && instance is DatasetVal { Source.ShuffledBy: { } shuffled } cutData)
            Cut(inv, shuffled, cutData.Source, $"Dataset.{def.Name}");
        if (DataApi.Is(type, _api.Model))
        {
            if (def.Name == "Fit") return ModelFit(inv, instance, args);
            if (def.Name == "Evaluate") return Evaluate(inv, instance, Arg(args, "data"));
        }
        if (DataApi.Is(type, _api.ModelScores) && def.Name == "Evaluate") return Evaluate(inv, Arg(args, "model"), Arg(args, "data"));
        if (DataApi.Is(type, _api.CsvReader) && def.Name == "ReadTable")
            return Source(inv, method.TypeArguments.Length == 1 ? SchemaOf(method.TypeArguments[0]) : (Arg(args, "schema") as SchemaVal)?.Columns);
        if (DataApi.Is(type, _api.TableColumn)) return ColumnCall(def, instance, args);
        if (DataApi.IsSystemType(type, "Enumerable", linq: true))
        {
            var first = args.Count > 0 ? args[0].Val : null;
            if (first is ListVal list && ListCall(def.Name, list, args) is { } listed) return listed;
            if (Choosers.Contains(def.Name)) NoteChoice(inv, def.Name, TaintOf(null, args));
            if (def.Name is "OrderBy" or "OrderByDescending" && args.Count == 2 && RandomKey(args[1].Arg.Value))
                return Tainted(TaintOf(null, args).Union(Taint.Of(new ShuffleMark(inv, Site(inv)))));
            if (Aggregates.Contains(def.Name))
            {
                // Sorting the distinct values of a column (to number its levels) orders categories; it is not a statistic of the rows.
                bool levels = def.Name is "OrderBy" or "OrderByDescending" or "Order" or "OrderDescending"
                    && args.Count > 0 && Unconverted(args[0].Arg.Value) is IInvocationOperation { TargetMethod.Name: "Distinct" or "DistinctBy" };
                return Tainted(levels ? TaintOf(null, args) : TaintOf(null, args).WithStatistic(def.Name, inv));
            }
            if (first is SplitVal { Site.Method: SplitMethod.KFold } folds)
            {
                if (ElementPicks.Contains(def.Name)) return new FoldVal(folds.Site, folds.Input);
                if (def.Name is "ToArray" or "ToList" or "AsEnumerable") return folds;
            }
        }
        if (def.Name is "Max" or "Min" && DataApi.IsSystemType(type, "Math")) NoteChoice(inv, "Math." + def.Name, TaintOf(null, args));
        if (def.Name == "Shuffle" && DataApi.IsSystemType(type, "Random") && args.Count == 1)
        {
            TaintContainer(Unconverted(args[0].Arg.Value), Taint.Of(new ShuffleMark(inv, Site(inv))));
            return UnknownVal.Instance;
        }
        if (def.Name == "Contains" && args.Count == 1 && instance is ListVal container && ListContains(container, args[0].Val) is { } contained) return contained;
        if (def.Name == "Sort" && (DataApi.IsSystemType(type, "Array") || DataApi.IsSystemType(type, "MemoryExtensions")) && args.Count > 0)
        {
            TaintContainer(args[0].Arg.Value is IConversionOperation c ? c.Operand : args[0].Arg.Value, TaintOf(null, args).WithStatistic("Sort", inv));
            return UnknownVal.Instance;
        }
        if (def.Name == "Sort" && inv.Instance is not null && instance is not null)
        {
            TaintContainer(inv.Instance, instance.Taint.WithStatistic("Sort", inv));
            return UnknownVal.Instance;
        }

        var inlined = Inline(inv, method, args);
        if (inlined is not null) return inlined;

        // Unknown call: its result depends on everything it was given; a list it is called on takes in its arguments (Add).
        var taint = TaintOf(instance, args);
        if (inv.Instance is not null && args.Count > 0) TaintContainer(inv.Instance, TaintOf(null, args));
        return Tainted(taint);
    }

    // ───────────── lists of names, choices, orders ─────────────

    /// <summary>
    /// LINQ over a list whose items are known (column names or columns of a table's schema): filters and projections are
    /// applied to each item, so that "every column but X" keeps the names of the known columns it does not drop. An item
    /// whose filter is not decided is left out and the list marked incomplete (positive facts only).
    /// </summary>
    private Val? ListCall(string name, ListVal list, List<(IArgumentOperation Arg, Val Val)> args)
    {
        switch (name)
        {
            case "ToArray" or "ToList" or "AsEnumerable" or "Distinct" when args.Count == 1:
                return list;
            case "Where" or "Select" when args.Count == 2 && Lambda1(args[1].Arg.Value) is { } f:
            {
                var items = new List<Val>();
                bool complete = list.Complete;
                foreach (var item in list.Items)
                {
                    var result = Apply(f, item);
                    if (name == "Select") items.Add(result);
                    else if (result is ConstVal { Value: true }) items.Add(item);
                    else if (result is not ConstVal { Value: false }) complete = false;
                }
                return ListOf(items, complete);
            }
            case "Except" when args.Count == 2 && args[1].Val is ListVal { Complete: true } drop:
                return ListOf(list.Items.Where(i => !drop.Items.Contains(i)).ToList(), list.Complete);
            case "Concat" when args.Count == 2 && args[1].Val is ListVal more:
                return ListOf(list.Items.Concat(more.Items).ToList(), list.Complete && more.Complete);
            case "Append" when args.Count == 2:
                return ListOf(list.Items.Append(args[1].Val).ToList(), list.Complete);
            case "Contains" when args.Count == 2:
                return ListContains(list, args[1].Val);
            default:
                return null;
        }
    }

    /// <summary>Whether a list holds a constant: decided when it is among the items, or absent from a complete list of constants.</summary>
    private static Val? ListContains(ListVal list, Val value)
    {
        if (value is not ConstVal c) return null;
        if (list.Items.Contains(c)) return new ConstVal(true);
        return list.Complete && list.Items.All(i => i is ConstVal) ? new ConstVal(false) : null;
    }

    /// <summary>The one-parameter lambda an argument passes, if it passes one.</summary>
    private static IAnonymousFunctionOperation? Lambda1(IOperation argument) =>
        Unconverted(argument) switch
        {
            IDelegateCreationOperation { Target: IAnonymousFunctionOperation { Symbol.Parameters.Length: 1 } a } => a,
            IAnonymousFunctionOperation { Symbol.Parameters.Length: 1 } a => a,
            _ => null,
        };

    /// <summary>The value a lambda returns for one argument value (its effects on locals are dropped).</summary>
    private Val Apply(IAnonymousFunctionOperation lambda, Val argument)
    {
        var saved = _s;
        var savedReturns = _returns;
        _returns = null;
        _lambdaDepth++;
        try
        {
            _s = _s.With(lambda.Symbol.Parameters[0], argument);
            Eval(lambda.Body);
            return _returns ?? UnknownVal.Instance;
        }
        finally
        {
            _lambdaDepth--;
            _returns = savedReturns;
            _s = saved;
        }
    }

    /// <summary>A Max, MaxBy, OrderBy, Math.Max, ... over scores of several test evaluations.</summary>
    private void NoteChoice(IInvocationOperation inv, string method, Taint taint)
    {
        var scores = taint.MarksOf<TestScoreMark>().OrderBy(m => m.Site.Syntax.SpanStart).ThenBy(m => m.Eval.Syntax.SpanStart).ToEquatableArray();
        if (scores.Count > 0) _facts.Choices[(inv, Site(inv))] = new ChoiceEvent(inv, Site(inv), method, scores);
    }

    /// <summary>Whether a sort key (a lambda) is random: it calls a method of System.Random or Guid.NewGuid.</summary>
    private bool RandomKey(IOperation argument)
    {
        if (Lambda1(argument) is not { } key) return false;
        foreach (var op in key.Body.Descendants())
            if (op is IInvocationOperation call
                && (DataApi.IsSystemType(call.TargetMethod.ContainingType, "Random") || (call.TargetMethod.Name == "NewGuid" && DataApi.IsSystemType(call.TargetMethod.ContainingType, "Guid"))))
                return true;
        return false;
    }

    /// <summary>Whether a row filter (a lambda) reads the row's index: a cut by position.</summary>
    private bool UsesRowIndex(IOperation argument) =>
        Lambda1(argument) is { } filter && filter.Body.Descendants().Any(op =>
            op is IPropertyReferenceOperation { Property.Name: "Index" } p && DataApi.Is(p.Property.ContainingType, _api.TableRow));

    private void Cut(IInvocationOperation inv, Shuffle shuffle, TableVal table, string how) =>
        _facts.Cuts[(inv, Site(inv))] = new CutEvent(inv, Site(inv), shuffle, table.Columns.NameWithRole(_api.RoleTimestamp), how);

    private Val Source(IInvocationOperation inv, Columns? columns) =>
        new TableVal(new RootRows(inv, _site), _api.RoleOf(inv.Type) is var r && r != Role.None ? r : Role.Unsplit, columns ?? Columns.Empty,
            EquatableArray<FitInfo>.Empty, EquatableArray<StatColumn>.Empty);

    private Val SplitCall(IInvocationOperation inv, string name, List<(IArgumentOperation Arg, Val Val)> args)
    {
        SplitMethod? method = name switch
        {
            "TrainTest" => SplitMethod.TrainTest,
            "TrainValidationTest" => SplitMethod.TrainValidationTest,
            "TrainValidation" => SplitMethod.TrainValidation,
            "KFold" => SplitMethod.KFold,
            _ => null,
        };
        if (method is null || Arg(args, "table") is not TableVal input) return Tainted(TaintOf(null, args));
        var site = new SplitSite(inv, Site(inv), method.Value, input.Rows);
        var kindArg = ArgOp(args, "kind");
        int? kind = Arg(args, "kind") is ConstVal { Value: int k } ? k : null;
        _facts.Splits[(inv, Site(inv))] = new SplitEvent(site, input, kindArg?.Value, kind);
        return new SplitVal(site, input);
    }

    private Val RoleCall(IInvocationOperation inv, string name, List<(IArgumentOperation Arg, Val Val)> args)
    {
        if (args.Count != 1 || args[0].Val is not TableVal table) return UnknownVal.Instance;
        if (name == "AsTrain")
        {
            if (_site is null) _asTrainReceivers[inv] = table.Rows;
            return table with { Role = Role.Train };
        }
        if (name == "AsTest")
        {
            _facts.AsTests[(inv, Site(inv))] = new AsTestEvent(inv, Site(inv), table.Rows);
            return table with { Role = Role.Test };
        }
        return UnknownVal.Instance;
    }

    private Val TableCall(IInvocationOperation inv, string name, TableVal table, List<(IArgumentOperation Arg, Val Val)> args)
    {
        switch (name)
        {
            case "Rows":
            {
                if (TaintOf(null, args).MarksOf<ShuffleMark>().Any())
                    return table with { Rows = new FilteredRows(table.Rows, inv), ShuffledBy = new Shuffle(inv, Site(inv), table.Columns.NameWithRole(_api.RoleTimestamp)) };
                if (table.ShuffledBy is { } shuffled) Cut(inv, shuffled, table, "Rows");
                return table with { Rows = new FilteredRows(table.Rows, inv) };
            }
            case "Where":
                if (table.ShuffledBy is { } reordered && args.Count == 1 && UsesRowIndex(args[0].Arg.Value)) Cut(inv, reordered, table, "Where");
                return table with { Rows = new FilteredRows(table.Rows, inv) };
            case "WithColumn":
            {
                var column = Arg(args, "column") ?? UnknownVal.Instance;
                if (column is ColumnVal { Role: int role } added && role == _api.RoleFeature
                    && column.Taint.MarksOf<LabelMark>().OrderBy(m => m.Op.Syntax.SpanStart).FirstOrDefault() is { } label)
                    _facts.LabelFeatures[(inv, Site(inv))] = new LabelFeatureEvent(inv, Site(inv), added.Name, label);
                var stats = table.StatColumns;
                if (!column.Taint.Stat.IsEmpty)
                    stats = stats.Concat(column.Taint.Stat.OrderBy(s => s.Op.Syntax.SpanStart).Select(s => new StatColumn(inv, Site(inv), s))).ToEquatableArray();
                var columns = column is ColumnVal { Name: string n } c ? table.Columns.Set(n, c.Role) : Columns.Empty;
                return table with { Columns = columns, StatColumns = stats };
            }
            case "WithRole":
            {
                var columns = Arg(args, "column") is ConstVal { Value: string n }
                    ? table.Columns.Set(n, Arg(args, "role") is ConstVal { Value: int r } ? r : null)
                    : Columns.Empty;
                return table with { Columns = columns };
            }
            case "WithoutColumns":
            case "SelectColumns":
            {
                var names = Names(Arg(args, "names") ?? UnknownVal.Instance);
                Columns columns = names is { Complete: true } ns
                    ? (name == "WithoutColumns" ? table.Columns.Without(ns.Names) : table.Columns.Only(ns.Names))
                    : Columns.Empty;
                return table with { Columns = columns };
            }
            default:
                return Tainted(Taint.OfData(table.Rows).Union(TaintOf(null, args)));
        }
    }

    private Val ToDataset(IInvocationOperation inv, string name, TableVal table, List<(IArgumentOperation Arg, Val Val)> args)
    {
        var features = Arg(args, "features") as ListVal;
        bool allow = Arg(args, "allowKnownAfterOutcome") is ConstVal { Value: true };
        _facts.ToDatasets[(inv, Site(inv))] = new ToDatasetEvent(inv, Site(inv), table, features, allow);
        return name == "ToDataset" ? new DatasetVal(table) : Tainted(Taint.OfData(table.Rows));
    }

    private Val TransformerFit(IInvocationOperation inv, string name, Val? instance, List<(IArgumentOperation Arg, Val Val)> args)
    {
        var info = instance is TransformerVal t ? t.Info : _api.InfoOf(inv.Instance?.Type, explicitColumns: true);
        var input = args.Count == 1 ? args[0].Val as TableVal : null;
        var fit = new FitInfo(inv, Site(inv), info, input?.Rows);

        // The local holding the training part of the split of x, to replace an argument x.AsTrain() with.
        IOperation? asTrainArgument = null;
        string? trainPart = null;
        if (_site is null && args.Count == 1)
        {
            var value = args[0].Arg.Value;
            while (value is IConversionOperation c) value = c.Operand;
            if (value is IInvocationOperation asTrain && _asTrainReceivers.TryGetValue(asTrain, out var receiver))
            {
                asTrainArgument = asTrain;
                var candidates = _s.Locals
                    .Where(kv => kv.Key is ILocalSymbol && kv.Value is TableVal
                    {
                        Rows: PartRows { Part: Role.Train, Split.Method: SplitMethod.TrainTest or SplitMethod.TrainValidationTest } part,
                        Applied.Count: 0,
                        StatColumns.Count: 0,
                    } tv && ((PartRows)tv.Rows).Split.Input.Equals(receiver))
                    .Select(kv => kv.Key.Name).Distinct().ToList();
                if (candidates.Count == 1) trainPart = candidates[0];
            }
        }
        _facts.Fits[(inv, Site(inv))] = new FitEvent(fit, input, name, asTrainArgument, trainPart);

        if (input is null) return name == "FitTransform" ? UnknownVal.Instance : name == "Fit" ? new FittedVal(fit) : UnknownVal.Instance;
        var output = input with
        {
            Rows = info.Resamples ? new ResampledRows(input.Rows, inv, Site(inv), info.Name, info.KeepsAllRows) : input.Rows,
            Columns = info.KeepsRoleColumns ? input.Columns : Columns.Empty,
            Applied = name == "Resample" ? input.Applied : input.Applied.Concat(new[] { fit }).ToEquatableArray(),
        };
        return name switch
        {
            "Fit" => new FittedVal(fit),
            "FitTransform" => new TupleVal(new Val[] { new FittedVal(fit), output }.ToEquatableArray()),
            _ => output,
        };
    }

    private Val Transform(IInvocationOperation inv, Val? instance, List<(IArgumentOperation Arg, Val Val)> args)
    {
        var fitted = instance as FittedVal;
        var input = args.Count == 1 ? args[0].Val as TableVal : null;
        _facts.Transforms[(inv, Site(inv))] = new TransformEvent(inv, Site(inv), fitted?.Fit, input);
        if (input is null) return UnknownVal.Instance;
        if (fitted is null) return input with { Columns = Columns.Empty };
        return input with
        {
            Columns = fitted.Fit.Transformer.KeepsRoleColumns ? input.Columns : Columns.Empty,
            Applied = input.Applied.Concat(new[] { fitted.Fit }).ToEquatableArray(),
        };
    }

    private Val ModelFit(IInvocationOperation inv, Val? instance, List<(IArgumentOperation Arg, Val Val)> args)
    {
        if (instance is ModelVal model)
        {
            int count = _s.Fits.TryGetValue(model.Id, out int c) ? c : 0;
            _s = _s.WithFits(_s.Fits.SetItem(model.Id, count < 0 ? -1 : count + 1));
        }
        _facts.ModelFits[(inv, Site(inv))] = new ModelFitEvent(inv, Site(inv), Arg(args, "train") as DatasetVal, Arg(args, "validation") as DatasetVal,
            Given(args, "augment"), Given(args, "sampling"));
        return UnknownVal.Instance;
    }

    private Val Evaluate(IInvocationOperation inv, Val? model, Val? data)
    {
        object? id = (model as ModelVal)?.Id;
        int fits = id is null ? -1 : _s.Fits.TryGetValue(id, out int c) ? c : 0;
        _facts.Evals[(inv, Site(inv))] = new EvalEvent(inv, Site(inv), id, fits, data as DatasetVal, _fitCallback, _lambdaDepth > 0);
        // Once per item of a collection (a lambda) or per pass of a loop: one of several test scores, which a choice may compare.
        bool repeated = _lambdaDepth > 0 || _loops.Count > 0;
        return data is DatasetVal { Source.Role: Role.Test } && repeated && _fitCallback is null
            ? Tainted(Taint.Of(new TestScoreMark(inv, Site(inv))))
            : UnknownVal.Instance;
    }

    private Val ColumnCall(IMethodSymbol def, Val? instance, List<(IArgumentOperation Arg, Val Val)> args)
    {
        var taint = TaintOf(instance, args);
        switch (def.Name)
        {
            case "Numbers":
            case "Categories":
            case "Dates":
                return new ColumnVal(Arg(args, "name") is ConstVal { Value: string n } ? n : null, Arg(args, "role") is ConstVal { Value: int r } ? r : null) { Taint = taint };
            case "WithRole" when instance is ColumnVal c:
                return new ColumnVal(c.Name, Arg(args, "role") is ConstVal { Value: int r2 } ? r2 : null) { Taint = taint };
            case "WithName" when instance is ColumnVal c:
                return new ColumnVal(Arg(args, "name") is ConstVal { Value: string n2 } ? n2 : null, c.Role) { Taint = taint };
            default:
                return Tainted(taint);
        }
    }

    private Columns? ColumnsOf(Val? list)
    {
        if (list is not ListVal l) return null;
        return Columns.Of(l.Items.OfType<ColumnVal>().Where(c => c.Name is not null && c.Role is not null).Select(c => new ColumnFact(c.Name!, c.Role!.Value)));
    }

    private Val Create(IObjectCreationOperation oc)
    {
        var args = Arguments(oc.Arguments, null);
        if (oc.Initializer is not null) Generic(oc.Initializer);
        var type = oc.Type;
        if (DataApi.DerivesFrom(type, _api.Transformer))
        {
            if (DataApi.Is(type, _api.Pipeline))
            {
                var steps = args.Count == 1 ? args[0].Val as ListVal : null;
                var infos = steps?.Items.Select(i => (i as TransformerVal)?.Info).ToList();
                bool known = steps is { Complete: true } && infos!.All(i => i is not null);
                return new TransformerVal(new TransformerInfo(
                    "Pipeline",
                    Learns: !known || infos!.Any(i => i!.Learns),
                    Resamples: infos?.Any(i => i?.Resamples == true) == true,
                    KeepsRoleColumns: known && infos!.All(i => i!.KeepsRoleColumns),
                    KeepsAllRows: known && infos!.All(i => i!.KeepsAllRows)));
            }
            bool explicitColumns = args.Any(a => a.Arg.Parameter?.Name == "columns" && a.Arg.ArgumentKind != ArgumentKind.DefaultValue && a.Val is not ConstVal { Value: null });
            return new TransformerVal(_api.InfoOf(type, explicitColumns));
        }
        if (DataApi.Is(type, _api.ColumnSpec))
            return new ColumnVal(Arg(args, "Name") is ConstVal { Value: string n } ? n : null, Arg(args, "Role") is ConstVal { Value: int r } ? r : null);
        if (DataApi.Is(type, _api.TableSchema))
            return ColumnsOf(Arg(args, "columns")) is { } columns ? new SchemaVal(columns) : UnknownVal.Instance;
        if (_api.IsModel(type)) return new ModelVal((oc, _site));
        return Tainted(TaintOf(null, args));
    }

    private Val Property(IPropertyReferenceOperation p)
    {
        var instance = p.Instance is null ? null : Eval(p.Instance);
        var args = Arguments(p.Arguments, null);
        string name = p.Property.Name;
        switch (instance)
        {
            case SplitVal { Site.Method: SplitMethod.KFold } folds when p.Property.IsIndexer:
                return new FoldVal(folds.Site, folds.Input);
            case SplitVal s when s.Site.Method != SplitMethod.KFold:
                return name switch
                {
                    "Train" => Part(s.Site, s.Input, Role.Train),
                    "Validation" when s.Site.Method != SplitMethod.TrainTest => Part(s.Site, s.Input, Role.Validation),
                    "Test" when s.Site.Method != SplitMethod.TrainValidation => Part(s.Site, s.Input, Role.Test),
                    _ => UnknownVal.Instance,
                };
            case ColumnVal c when DataApi.Is(p.Property.ContainingType, _api.TableColumn) && name is "Name" or "Role":
                // A column's name and role are schema, not row data.
                return name == "Name"
                    ? c.Name is null ? UnknownVal.Instance : new ConstVal(c.Name)
                    : c.Role is null ? UnknownVal.Instance : new ConstVal(c.Role.Value);
            case FoldVal f:
                return name switch
                {
                    "Train" => Part(f.Site, f.Input, Role.Train),
                    "Validation" => Part(f.Site, f.Input, Role.Validation),
                    _ => UnknownVal.Instance,
                };
            case TableVal t when DataApi.DerivesFrom(p.Property.ContainingType, _api.Table):
                if (name == "FeatureColumns") return new ListVal(EquatableArray<Val>.Empty, false);
                // The columns as far as known (there may be others): filters over them decide for each known column.
                if (name == "Columns") return new ListVal(t.Columns.Known.Select(c => (Val)new ColumnVal(c.Name, c.Role)).ToEquatableArray(), false);
                if (name == "Label")
                {
                    string? label = t.Columns.NameWithRole(_api.RoleLabel);
                    return new ColumnVal(label, _api.RoleLabel) { Taint = Taint.OfData(t.Rows).Union(Taint.Of(new LabelMark(t.Rows, label, p))) };
                }
                if (name is "RowCount" or "ColumnCount" or "Role") return UnknownVal.Instance;
                if (p.Property.IsIndexer && args.Count == 1 && args[0].Val is ConstVal { Value: string column })
                {
                    var role = t.Columns.RoleOf(column);
                    var cells = Taint.OfData(t.Rows);
                    if (role == _api.RoleLabel) cells = cells.Union(Taint.Of(new LabelMark(t.Rows, column, p)));
                    return new ColumnVal(column, role) { Taint = cells };
                }
                return Tainted(Taint.OfData(t.Rows).Union(TaintOf(null, args)));
        }
        return Tainted(TaintOf(instance, args));
    }

    // ───────────── helpers in the same file ─────────────

    private void CollectLocalFunctions(IOperation body)
    {
        var pending = new Stack<IOperation>();
        foreach (var child in body.ChildOperations) pending.Push(child);
        while (pending.Count > 0)
        {
            var d = pending.Pop();
            if (d is ILocalFunctionOperation f && (f.Body ?? f.IgnoredBody) is { } b && !_localFunctions.ContainsKey(f.Symbol))
                _localFunctions[f.Symbol] = b;
            foreach (var child in d.ChildOperations) pending.Push(child);
        }
    }

    /// <summary>
    /// Whether a call of <paramref name="def"/> from a body of <paramref name="tree"/> is interpreted in place: a local function,
    /// or a method declared in that file that is not virtual (so the call is to this body).
    /// </summary>
    public static bool Follows(IMethodSymbol def, SyntaxTree tree) =>
        def.MethodKind == MethodKind.LocalFunction
        || (def.MethodKind == MethodKind.Ordinary && !def.IsAbstract && !def.IsVirtual && !def.IsOverride && !def.IsExtern && !def.IsPartialDefinition
            && def.DeclaringSyntaxReferences.Length == 1 && def.DeclaringSyntaxReferences[0].SyntaxTree == tree);

    /// <summary>The body of a method declared in the analysed file that is not virtual (so the call is to this body), or null.</summary>
    private IOperation? BodyOf(IMethodSymbol def)
    {
        if (def.MethodKind == MethodKind.LocalFunction) return _localFunctions.TryGetValue(def, out var local) ? local : null;
        if (_bodies.TryGetValue(def, out var cached)) return cached;
        IOperation? body = null;
        if (Follows(def, _model.SyntaxTree))
        {
            var syntax = def.DeclaringSyntaxReferences[0].GetSyntax(_ct);
            if (syntax is MethodDeclarationSyntax && _model.GetOperation(syntax, _ct) is IMethodBodyOperation m)
                body = (IOperation?)m.BlockBody ?? m.ExpressionBody;
        }
        if (body is not null) CollectLocalFunctions(body);
        _bodies[def] = body;
        return body;
    }

    /// <summary>Interprets a same-file helper (or local function) with the arguments' values; null when it cannot be followed.</summary>
    private Val? Inline(IInvocationOperation inv, IMethodSymbol method, List<(IArgumentOperation Arg, Val Val)> args)
    {
        var def = method.OriginalDefinition;
        if (_stack.Count >= MaxDepth || _stack.Contains(def, SymbolEqualityComparer.Default)) return null;
        var body = BodyOf(def);
        if (body is null) return null;
        bool local = def.MethodKind == MethodKind.LocalFunction;

        var saved = _s;
        var savedSite = _site;
        var savedReturns = _returns;
        var savedLoops = _loops;
        var frame = local ? _s : FlowState.Empty.WithFits(_s.Fits);
        foreach (var (arg, v) in args)
            if (arg.Parameter is not null) frame = frame.With(arg.Parameter.OriginalDefinition, v);
        _s = frame;
        _site ??= inv;
        _returns = null;
        _loops = new List<IOperation>();
        _stack.Add(def);
        Val result;
        try
        {
            Eval(body);
            result = _returns ?? UnknownVal.Instance;
        }
        finally
        {
            _stack.RemoveAt(_stack.Count - 1);
            _site = savedSite;
            _returns = savedReturns;
            _loops = savedLoops;
        }
        _s = local ? _s : saved.WithFits(_s.Fits);
        return result;
    }

    /// <summary>The columns a row type declares through its static <c>Schema</c> (IRowSchema), when written in this file in a recognised form.</summary>
    private Columns? SchemaOf(ITypeSymbol rowType)
    {
        if (_api.IRowSchema?.GetMembers("Schema").FirstOrDefault() is not IPropertySymbol member) return null;
        if (rowType.FindImplementationForInterfaceMember(member) is not IPropertySymbol property) return null;
        if (property.DeclaringSyntaxReferences.Length != 1 || property.DeclaringSyntaxReferences[0].SyntaxTree != _model.SyntaxTree) return null;
        if (property.DeclaringSyntaxReferences[0].GetSyntax(_ct) is not PropertyDeclarationSyntax syntax) return null;
        var getter = syntax.AccessorList?.Accessors.FirstOrDefault(a => a.Keyword.Text == "get");
        SyntaxNode? expression = (SyntaxNode?)syntax.ExpressionBody?.Expression ?? syntax.Initializer?.Value
            ?? (SyntaxNode?)getter?.ExpressionBody?.Expression ?? getter?.Body;
        if (expression is null || _model.GetOperation(expression, _ct) is not { } op) return null;
        var saved = _s;
        var savedReturns = _returns;
        _s = FlowState.Empty;
        _returns = null;
        try
        {
            var v = Eval(op);
            return ((op is IBlockOperation ? _returns : v) as SchemaVal)?.Columns;
        }
        finally
        {
            _s = saved;
            _returns = savedReturns;
        }
    }
}
