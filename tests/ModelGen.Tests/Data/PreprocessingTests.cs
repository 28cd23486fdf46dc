using System;
using System.Collections.Generic;
using System.Linq;
using ModelGen.Data;
using Xunit;

namespace ModelGen.Tests.Data;

/// <summary>Every transformer against scikit-learn (reference.json) or hand-computed values, and the type rules of fitting.</summary>
public class PreprocessingTests
{
    /// <summary>Scalers, imputers, selection scores and polynomial terms are a few double operations per value.</summary>
    private const double Tolerance = 1e-10;

    /// <summary>PCA: Jacobi rotations here, LAPACK's SVD in scikit-learn.</summary>
    private const double PcaTolerance = 1e-8;

    private static readonly string[] Names = ["c0", "c1", "c2", "c3"];

    private static Table<Unsplit> Numeric(double[][] rows, string source, string? label = null, double[]? y = null)
    {
        var columns = Names.Select((n, j) => TableColumn.Numbers(n, rows.Select(r => r[j]).ToArray())).ToList();
        if (label is not null) columns.Add(TableColumn.Numbers(label, y!, ColumnRole.Label));
        return Table.Create(source, columns);
    }

    private static Table<Train> Train(string matrix = "table.x", string labelPath = "table.y_class") =>
        Numeric(Reference.Matrix(matrix), "train", "y", Reference.Vector(labelPath)).AsTrain();

    private static Table<Test> TestRows() => Numeric(Reference.Matrix("table.x_test"), "test").AsTest();

    private static double[] Column(Table t, string name) => t[name].Values.ToArray();

    private static void MatchColumns(double[][] expected, Table actual, IReadOnlyList<string> names, double tolerance, string what)
    {
        for (int j = 0; j < names.Count; j++)
            Reference.Close(expected.Select(r => r[j]).ToArray(), Column(actual, names[j]), tolerance, $"{what} column {names[j]}");
    }

    [Fact]
    public void StandardScalerMatchesScikitLearn()
    {
        var fitted = new StandardScaler().Fit(Train());
        Assert.Equal(Names, fitted.Columns);
        Reference.Close(Reference.Vector("table.standard.mean"), fitted.Means.ToArray(), Tolerance, "mean");
        Reference.Close(Reference.Vector("table.standard.scale"), fitted.Scales.ToArray(), Tolerance, "scale");
        var test = fitted.Transform(TestRows());
        Assert.Equal("test", test.Role);
        MatchColumns(Reference.Matrix("table.standard.test"), test, Names, Tolerance, "standardised");
    }

    [Fact]
    public void MinMaxScalerMatchesScikitLearn()
    {
        var fitted = new MinMaxScaler(min: -1, max: 2).Fit(Train());
        Reference.Close(Reference.Vector("table.minmax.min"), fitted.DataMin.ToArray(), Tolerance, "min");
        Reference.Close(Reference.Vector("table.minmax.max"), fitted.DataMax.ToArray(), Tolerance, "max");
        MatchColumns(Reference.Matrix("table.minmax.test"), fitted.Transform(TestRows()), Names, Tolerance, "min-max");
    }

    [Theory]
    [InlineData(ImputeStrategy.Mean, "mean")]
    [InlineData(ImputeStrategy.Median, "median")]
    public void ImputerMatchesScikitLearn(ImputeStrategy strategy, string key)
    {
        var train = Train("table.x_missing");
        Assert.True(train["c0"].IsMissing(1));
        var fitted = new Imputer(strategy).Fit(train);
        Reference.Close(Reference.Vector($"table.impute_{key}.statistics"), fitted.Statistics.ToArray(), Tolerance, "statistics");
        MatchColumns(Reference.Matrix($"table.impute_{key}.train"), fitted.Transform(train), Names, Tolerance, "imputed");
    }

    [Fact]
    public void ScalersAndImputerHandComputed()
    {
        var t = Table.Create("h", TableColumn.Numbers("a", [1, 2, double.NaN, 5]), TableColumn.Numbers("k", [3, 3, 3, 3])).AsTrain();
        var s = new StandardScaler().Fit(t);
        Assert.Equal([8 / 3.0, 3], s.Means);
        Assert.Equal(Math.Sqrt(((1 - 8 / 3.0) * (1 - 8 / 3.0) + (2 - 8 / 3.0) * (2 - 8 / 3.0) + (5 - 8 / 3.0) * (5 - 8 / 3.0)) / 3), s.Scales[0], 14);
        Assert.Equal(1, s.Scales[1]);                                  // constant: centred only
        var scaled = s.Transform(t);
        Assert.True(scaled["a"].IsMissing(2));                          // missing stays missing
        Assert.Equal([0.0, 0, 0, 0], Column(scaled, "k"));
        Assert.Equal(2, new Imputer(ImputeStrategy.Median).Fit(t).Statistics[0]);
        Assert.Equal([1.0, 2, 8 / 3.0, 5], Column(new Imputer().Fit(t).Transform(t), "a"));
        var allMissing = Table.Create("h", TableColumn.Numbers("a", [double.NaN, double.NaN])).AsTrain();
        Assert.Contains("'a' has no value in any of the 2 rows", Assert.Throws<ArgumentException>(() => new Imputer().Fit(allMissing)).Message);
    }

    [Fact]
    public void VarianceThresholdMatchesScikitLearn()
    {
        var fitted = new VarianceThreshold(Reference.Number("table.variance_threshold.threshold")).Fit(Train());
        Reference.Close(Reference.Vector("table.variance_threshold.variances"), fitted.Variances.ToArray(), Tolerance, "variances");
        var support = Reference.Bools("table.variance_threshold.support");
        Assert.Equal(Names.Where((_, i) => !support[i]), fitted.Dropped);
        Assert.Equal(Names.Where((_, i) => support[i]), fitted.Transform(TestRows()).Columns.Select(c => c.Name));
        var constant = Table.Create("h", TableColumn.Numbers("a", [0.1, 0.1, 0.1]), TableColumn.Numbers("b", [1, 2, 3])).AsTrain();
        Assert.Equal(["a"], new VarianceThreshold().Fit(constant).Dropped);
    }

    [Theory]
    [InlineData(FeatureScore.AnovaF, "kbest_classif", "table.y_class")]
    [InlineData(FeatureScore.RegressionF, "kbest_regression", "table.y_value")]
    public void SelectKBestMatchesScikitLearn(FeatureScore score, string key, string label)
    {
        var train = Train(labelPath: label);
        var fitted = new SelectKBest((int)Reference.Number($"table.{key}.k"), score).Fit(train);
        Reference.Close(Reference.Vector($"table.{key}.scores"), fitted.Scores.ToArray(), Tolerance, "scores");
        var support = Reference.Bools($"table.{key}.support");
        Assert.Equal(Names.Where((_, i) => support[i]), fitted.Selected);
        Assert.Equal(Names.Where((_, i) => support[i]).Append("y"), fitted.Transform(train).Columns.Select(c => c.Name));
    }

    [Theory]
    [InlineData(2, false, "poly_2")]
    [InlineData(3, false, "poly_3")]
    [InlineData(2, true, "poly_2_inter")]
    public void PolynomialFeaturesMatchScikitLearn(int degree, bool interactionOnly, string key)
    {
        string[] abc = ["a", "b", "c"];
        Table<Unsplit> Abc(string path) => Table.Create("p", abc.Select((n, j) => TableColumn.Numbers(n, Reference.Matrix(path).Select(r => r[j]).ToArray())).ToArray());
        var fitted = new PolynomialFeatures(degree, interactionOnly: interactionOnly).Fit(Abc("table.x").AsTrain());
        // scikit-learn writes products with a space: "a b", "a^2 b"; here they are "a*b", "a^2*b".
        var sklearnNames = Reference.Strings($"table.{key}.names").Skip(3).Select(n => n.Replace(' ', '*')).ToArray();
        Assert.Equal(sklearnNames, fitted.OutputColumns);
        var test = fitted.Transform(Abc("table.x_test").AsTest());
        Assert.Equal(abc.Concat(sklearnNames), test.Columns.Select(c => c.Name));
        MatchColumns(Reference.Matrix($"table.{key}.test"), test, abc.Concat(sklearnNames).ToArray(), Tolerance, "polynomial");
    }

    [Fact]
    public void PcaMatchesScikitLearnUpToTheSignOfEachComponent()
    {
        var fitted = new Pca(2).Fit(Train());
        Reference.Close(Reference.Vector("table.pca.explained_variance"), fitted.ExplainedVariance.ToArray(), PcaTolerance, "explained variance");
        Reference.Close(Reference.Vector("table.pca.explained_variance_ratio"), fitted.ExplainedVarianceRatio.ToArray(), PcaTolerance, "ratio");
        Reference.Close(Reference.Vector("table.pca.mean"), fitted.Mean.ToArray(), Tolerance, "mean");
        var components = Reference.Matrix("table.pca.components");
        var test = fitted.Transform(TestRows());
        Assert.Equal(["pc1", "pc2"], test.Columns.Select(c => c.Name));
        var projected = Reference.Matrix("table.pca.test");
        for (int k = 0; k < 2; k++)
        {
            var mine = fitted.Component(k).ToArray();
            double sign = Math.Sign(mine.Zip(components[k], (a, b) => a * b).Sum());
            Reference.Close(components[k], mine.Select(v => v * sign).ToArray(), PcaTolerance, $"component {k}");
            Reference.Close(projected.Select(r => r[k]).ToArray(), Column(test, "pc" + (k + 1)).Select(v => v * sign).ToArray(), PcaTolerance, $"projection {k}");
            // The sign rule here: the largest loading is positive.
            Assert.True(mine.MaxBy(Math.Abs) > 0);
        }
    }

    private static Table<Unsplit> Colors(string prefix = "")
    {
        var colors = Reference.Strings($"categorical.{prefix}color");
        var sizes = Reference.Strings($"categorical.{prefix}size");
        var columns = new List<TableColumn> { TableColumn.Categories("color", colors), TableColumn.Categories("size", sizes) };
        if (prefix == "") columns.Add(TableColumn.Numbers("target", Reference.Vector("categorical.target"), ColumnRole.Label));
        return Table.Create(prefix == "" ? "train" : "test", columns);
    }

    [Fact]
    public void OneHotEncoderMatchesScikitLearnAndIgnoresUnknownLevels()
    {
        var fitted = new OneHotEncoder().Fit(Colors().AsTrain());
        var categories = Reference.Get("categorical.onehot_categories").EnumerateArray().Select(a => a.EnumerateArray().Select(v => v.GetString()!).ToArray()).ToArray();
        Assert.Equal(categories[0], fitted.Levels(0));
        Assert.Equal(categories[1], fitted.Levels(1));
        var names = categories[0].Select(l => "color=" + l).Concat(categories[1].Select(l => "size=" + l)).ToArray();
        Assert.Equal(names, fitted.OutputColumns);
        var test = fitted.Transform(Colors("test_").AsTest());
        Assert.Equal(names, test.Columns.Select(c => c.Name));
        MatchColumns(Reference.Matrix("categorical.onehot_test"), test, names, 0, "one-hot");

        var strict = new OneHotEncoder(unknownLevels: UnknownLevels.Error).Fit(Colors().AsTrain());
        var e = Assert.Throws<ArgumentException>(() => strict.Transform(Colors("test_").AsTest()));
        Assert.Contains("'color' is 'purple' in row test[1]", e.Message);
    }

    [Fact]
    public void TargetEncoderMatchesTheSmoothedMeanAndCrossFitsTrainingRows()
    {
        double smoothing = Reference.Number("categorical.target_encoding.smoothing");
        var train = Colors().AsTrain();
        var encoder = new TargetEncoder(["color"], smoothing, folds: 4, seed: 3);
        var fitted = (TargetEncoder.Fitted)encoder.Fit(train);
        Reference.Close(Reference.Number("categorical.target_encoding.prior"), fitted.Prior, Tolerance, "prior");
        foreach (var level in Reference.Get("categorical.target_encoding.color").EnumerateObject())
            Reference.Close(level.Value.GetDouble(), fitted.Encodings(0)[level.Name], Tolerance, "encoding of " + level.Name);
        var test = fitted.Transform(Colors("test_").AsTest());
        Assert.Equal(ColumnType.Number, test["color"].Type);
        Assert.Equal(fitted.Prior, test["color"][1]);                    // 'purple' was never seen
        Assert.Equal(fitted.Encodings(0)["red"], test["color"][0]);

        // Cross-fitting: a training row's own label never reaches its encoding.
        var (_, encoded) = encoder.FitTransform(train);
        var flippedLabels = Reference.Vector("categorical.target").ToArray();
        flippedLabels[4] = 1 - flippedLabels[4];
        var flipped = train.WithColumn(TableColumn.Numbers("target", flippedLabels, ColumnRole.Label));
        var (_, encodedFlipped) = encoder.FitTransform(flipped);
        Assert.Equal(encoded["color"][4], encodedFlipped["color"][4]);
        Assert.NotEqual(Column(encoded, "color"), Column(encodedFlipped, "color"));      // other rows did see it
        Assert.NotEqual(Column(encoded, "color"), Column(fitted.Transform(train), "color")); // unlike the plain transform
    }

    [Fact]
    public void FeatureHasherMatchesScikitLearnBitForBit()
    {
        var fitted = new FeatureHasher(8).Fit(Colors().AsTrain());
        var test = fitted.Transform(Colors("test_").AsTest());
        var names = Enumerable.Range(0, 8).Select(i => "hash" + i).ToArray();
        Assert.Equal(names, test.Columns.Select(c => c.Name));
        MatchColumns(Reference.Matrix("categorical.hash_8"), test, names, 0, "hashed");

        var weights = Reference.Vector("categorical.hash_numeric_16.weight");
        var withWeight = Colors("test_").WithColumn(TableColumn.Numbers("weight", weights)).AsTrain();
        var numeric = new FeatureHasher(16, ["color", "weight"]).Fit(withWeight).Transform(withWeight);
        MatchColumns(Reference.Matrix("categorical.hash_numeric_16.matrix"), numeric, Enumerable.Range(0, 16).Select(i => "hash" + i).ToArray(), 0, "hashed numbers");
        Assert.Equal([.. Enumerable.Range(0, 16).Select(i => "hash" + i), "size"], numeric.Columns.Select(c => c.Name));   // where the first hashed column was
    }

    [Fact]
    public void ColumnsKnownAfterTheOutcomeStaySoThroughDerivedFeatures()
    {
        var t = Table.Create("k",
            TableColumn.Numbers("a", [1, 2, 3, 4]),
            TableColumn.Numbers("after", [5, 6, 7, 9], ColumnRole.KnownAfterOutcome),
            TableColumn.Categories("outcome_code", ["x", "y", "x", "y"], ColumnRole.KnownAfterOutcome),
            TableColumn.Numbers("y", [0, 1, 0, 1], ColumnRole.Label)).AsTrain();
        var poly = new PolynomialFeatures(2, ["a", "after"], interactionOnly: true).Fit(t).Transform(t);
        Assert.Equal(ColumnRole.KnownAfterOutcome, poly["a*after"].Role);
        var onehot = new OneHotEncoder(["outcome_code"]).Fit(t).Transform(t);
        Assert.Equal(ColumnRole.KnownAfterOutcome, onehot["outcome_code=x"].Role);
        var pca = new Pca(1, ["a", "after"]).Fit(t).Transform(t);
        Assert.Equal(ColumnRole.KnownAfterOutcome, pca["pc1"].Role);
        Assert.Contains("known only after the outcome", Assert.Throws<ArgumentException>(() => poly.ToDataset(["a", "a*after"], TargetKind.Value)).Message);
        // By default, transformers and ToDataset leave such columns alone.
        Assert.Equal(["a"], new StandardScaler().Fit(t).Columns);
        Assert.Equal(["a"], t.FeatureColumns);
    }

    [Fact]
    public void FittingTakesOnlyTrainingRowsWhateverTheTransformer()
    {
        // The rule the analyzer builds on: every Fit and Resample of the runtime takes Table<Train>, never another role.
        var transformers = typeof(Transformer).Assembly.GetTypes().Where(t => t.IsPublic && typeof(Transformer).IsAssignableFrom(t)).ToArray();
        Assert.True(transformers.Length >= 14, string.Join(", ", transformers.Select(t => t.Name)));
        foreach (var type in transformers)
            foreach (var method in type.GetMethods().Where(m => m.Name is "Fit" or "FitTransform" or "Resample"))
                Assert.Equal(typeof(Table<Train>), method.GetParameters().Single().ParameterType);
    }

    [Fact]
    public void TransformingATableWithoutTheFittedColumnNamesIt()
    {
        var fitted = new StandardScaler().Fit(Train());
        var e = Assert.Throws<ArgumentException>(() => fitted.Transform(TestRows().WithoutColumns("c2")));
        Assert.Contains("StandardScaler was fitted on column 'c2', which the test table lacks", e.Message);
        Assert.Contains("'y' is the label", Assert.Throws<ArgumentException>(() => new StandardScaler(["c0", "y"]).Fit(Train())).Message);
    }

    [Fact]
    public void PipelineFitsEachStepOnThePreviousOutputAndTransformsInOrder()
    {
        var train = Train("table.x_missing");
        var pipeline = new Pipeline(new Imputer(ImputeStrategy.Median), new StandardScaler(), new SelectKBest(2));
        var fitted = pipeline.Fit(train);
        Assert.Equal(3, fitted.Steps.Count);
        var imputer = (Imputer.Fitted)fitted.Steps[0];
        var scaler = (StandardScaler.Fitted)fitted.Steps[1];
        // The scaler saw imputed values, not NaN-skipped ones: its mean of c0 is the mean after filling.
        var imputed = imputer.Transform(train);
        Assert.Equal(Column(imputed, "c0").Average(), scaler.Means[0], 12);
        var test = TestRows();
        var byHand = fitted.Steps[2].Transform(scaler.Transform(imputer.Transform(test)));
        var piped = fitted.Transform(test);
        Assert.Equal(byHand.Columns.Select(c => c.Name), piped.Columns.Select(c => c.Name));
        foreach (var c in piped.Columns) Assert.Equal(Column(byHand, c.Name), Column(piped, c.Name));
        Assert.Equal(train.Provenance, fitted.FittedOn);
        Assert.Contains("Imputer(Median) → StandardScaler → SelectKBest(2, AnovaF)", pipeline.ToString());
    }
}
