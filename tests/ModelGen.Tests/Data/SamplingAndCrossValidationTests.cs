using System;
using System.Collections.Generic;
using System.Linq;
using ModelGen.Data;
using Xunit;

namespace ModelGen.Tests.Data;

[Model(Input = new[] { 4 }, Loss = Loss.BinaryCrossEntropy)]
public partial class CvLogistic
{
    [Dense(1)] private partial Tensor Logit(Tensor x);
}

/// <summary>Samplers (provenance, balance, determinism) and cross-validation that fits preprocessing inside each fold.</summary>
public class SamplingAndCrossValidationTests
{
    /// <summary>120 rows, 4 features on very different scales, a binary label (25% positive), 30 groups.</summary>
    private static Table<Unsplit> Imbalanced()
    {
        var rng = new ModelGen.Compute.Rng(21);
        int n = 120;
        var cols = Enumerable.Range(0, 4).Select(_ => new double[n]).ToArray();
        var y = new double[n];
        var g = new double[n];
        for (int r = 0; r < n; r++)
        {
            y[r] = r % 4 == 0 ? 1 : 0;
            for (int j = 0; j < 4; j++) cols[j][r] = (rng.NextGaussian() + 1.5 * y[r]) * Math.Pow(10, j) + 5 * j;
            g[r] = r % 30;
        }
        var columns = cols.Select((c, j) => TableColumn.Numbers("f" + j, c)).ToList();
        columns.Add(TableColumn.Numbers("g", g, ColumnRole.GroupKey));
        columns.Add(TableColumn.Numbers("y", y, ColumnRole.Label));
        return Table.Create("imb", columns);
    }

    private static int Count(Table t, double label) => t["y"].Values.ToArray().Count(v => v == label);

    private static HashSet<RowId> Ids(Table t) => t.Provenance.Select(p => p.Id).ToHashSet();

    [Fact]
    public void RandomOverSamplerDuplicatesMinorityRowsKeepingTheirProvenance()
    {
        var train = Imbalanced().AsTrain();
        var balanced = new RandomOverSampler(seed: 4).Resample(train);
        Assert.Equal(90, Count(balanced, 0));
        Assert.Equal(90, Count(balanced, 1));
        Assert.Equal(train.Provenance, balanced.Provenance.Take(train.RowCount));       // the originals come first, unchanged
        var minority = Enumerable.Range(0, train.RowCount).Where(r => train["y"][r] == 1).Select(r => train.Provenance[r].Id).ToHashSet();
        Assert.All(balanced.Provenance.Skip(train.RowCount), p => Assert.Contains(p.Id, minority));
        Assert.Equal(balanced.Provenance, new RandomOverSampler(seed: 4).Resample(train).Provenance);
        Assert.NotEqual(balanced.Provenance, new RandomOverSampler(seed: 5).Resample(train).Provenance);
    }

    [Fact]
    public void RandomUnderSamplerKeepsADistinctSubset()
    {
        var train = Imbalanced().AsTrain();
        var balanced = new RandomUnderSampler(seed: 4).Resample(train);
        Assert.Equal(30, Count(balanced, 0));
        Assert.Equal(30, Count(balanced, 1));
        Assert.Equal(60, Ids(balanced).Count);
        Assert.Subset(Ids(train), Ids(balanced));
        Assert.Equal(balanced.Provenance, new RandomUnderSampler(seed: 4).Resample(train).Provenance);
    }

    [Fact]
    public void SmoteMakesSyntheticRowsBetweenTwoSameClassParents()
    {
        var train = Imbalanced().AsTrain();
        var balanced = new Smote(seed: 8, neighbours: 3).Resample(train);
        Assert.Equal(90, Count(balanced, 1));
        Assert.Equal(90, Count(balanced, 0));
        var byId = Enumerable.Range(0, train.RowCount).ToDictionary(r => train.Provenance[r].Id);
        for (int r = train.RowCount; r < balanced.RowCount; r++)
        {
            var p = balanced.Provenance[r];
            Assert.True(p.IsSynthetic);
            Assert.Equal(Smote.SyntheticSource, p.Id.Source);
            Assert.Equal(2, p.Parents.Count);
            int a = byId[p.Parents[0]], b = byId[p.Parents[1]];
            Assert.Equal(1, train["y"][a]);
            Assert.Equal(1, train["y"][b]);
            Assert.Equal(train["g"][a], balanced["g"][r]);                 // non-interpolated columns come from the first parent
            // One interpolation factor u in [0, 1) for all features.
            double u = (balanced["f3"][r] - train["f3"][a]) / (train["f3"][b] - train["f3"][a]);
            Assert.InRange(u, 0, 1);
            for (int j = 0; j < 3; j++)
                Assert.Equal(train["f" + j][a] + u * (train["f" + j][b] - train["f" + j][a]), balanced["f" + j][r], 6);
        }
        Assert.Equal(balanced["f0"].Values.ToArray(), new Smote(seed: 8, neighbours: 3).Resample(train)["f0"].Values.ToArray());
        Assert.Contains("synthetic, from imb[", balanced.Provenance[^1].ToString());
    }

    [Fact]
    public void SamplersLeaveHeldOutRowsAlone()
    {
        var (train, test) = Split.TrainTest(Imbalanced(), 0.25, SplitKind.Stratified, seed: 1);
        var (fitted, output) = new Pipeline(new Smote(seed: 1), new StandardScaler()).FitTransform(train);
        Assert.True(output.RowCount > train.RowCount);
        var transformed = fitted.Transform(test);
        Assert.Equal(test.Provenance, transformed.Provenance);
        // The scaler inside was fitted on the oversampled rows, and says so.
        var scaler = ((Pipeline.Fitted)fitted).Steps[1];
        Assert.Equal(output.RowCount, scaler.FittedOn.Count);
        Assert.Contains(scaler.FittedOn, p => p.IsSynthetic);
    }

    [Fact]
    public void CrossValidationFitsThePipelineInsideEachFoldOnThatFoldsTrainingRowsOnly()
    {
        var table = Imbalanced();
        var folds = Split.KFold(table.AsTrain(), 4, SplitKind.Stratified, seed: 2);
        var result = CrossValidation.Run(folds, new Pipeline(new StandardScaler()), i => new CvLogistic(seed: i),
            (m, d) => m.Fit(d, epochs: 20, batchSize: 16, optimizer: new Adam(0.05f), seed: 0), TargetKind.Value);
        Assert.Equal(4, result.Folds.Count);
        double fullMean = table["f3"].Values.ToArray().Average();
        foreach (var (fold, r) in folds.Zip(result.Folds))
        {
            var fitted = (Pipeline.Fitted)r.Preprocessing!;
            var seen = fitted.Steps[0].FittedOn.Select(p => p.Id).ToHashSet();
            Assert.True(seen.SetEquals(Ids(fold.Train)), $"fold {fold.Index}: the scaler saw other rows than the fold's training rows");
            Assert.Empty(seen.Intersect(Ids(fold.Validation)));
            // Its statistics are those of the fold's training rows, not of the whole table.
            var scaler = (StandardScaler.Fitted)fitted.Steps[0];
            double foldMean = fold.Train["f3"].Values.ToArray().Average();
            Assert.Equal(foldMean, scaler.Means[3], 9);
            Assert.NotEqual(fullMean, scaler.Means[3], 9);
            Assert.Equal(fold.Validation.RowCount, r.ValidationRows);
            Assert.InRange(r.Scores.Accuracy, 0.6, 1);
            Assert.InRange(r.Scores.RocAuc, 0.7, 1);
        }
        Assert.Equal(result.Folds.Average(f => f.Scores.Accuracy), result.Mean.Accuracy, 12);
        Assert.Contains("fold 4:", result.ToString());
        Assert.Contains("mean:", result.ToString());
    }

    [Fact]
    public void CrossValidationWithASamplerTrainsOnMoreRowsButScoresTheFoldAsItIs()
    {
        var folds = Split.KFold(Imbalanced().AsTrain(), 3, SplitKind.Group, seed: 2);
        var result = CrossValidation.Run(folds, new Pipeline(new RandomOverSampler(seed: 3), new StandardScaler()), i => new CvLogistic(seed: i),
            (m, d) => m.Fit(d, epochs: 5, batchSize: 16, seed: 0), TargetKind.Value, features: ["f0", "f1", "f2", "f3"]);
        foreach (var (fold, r) in folds.Zip(result.Folds))
        {
            Assert.True(r.TrainRows > fold.Train.RowCount);
            Assert.Equal(fold.Validation.RowCount, r.ValidationRows);
            Assert.True(LeakageAudit.Check(fold).IsClean, LeakageAudit.Check(fold).ToString());
        }
    }
}
