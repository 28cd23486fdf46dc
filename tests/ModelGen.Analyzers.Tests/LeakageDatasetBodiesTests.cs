using System.Threading.Tasks;
using Xunit;

namespace ModelGen.Analyzers.Tests;

/// <summary>
/// Bodies whose only data type is Dataset are interpreted only when they call a helper of the same file (or a local
/// function): that helper may return a Dataset made from a table's test rows, and the finding is then in the caller.
/// </summary>
public partial class LeakageTests
{
    [Fact]
    public async Task MG0022_DatasetOnlyCaller_TrainsOnTestRowsFromAHelper() => await AssertLeak("""
        public static class Experiment
        {
            private static readonly Table<Unsplit> Rows = null!;

            private static Dataset Holdout()
            {
                var (train, test) = Split.TrainTest(Rows, 0.2, SplitKind.Random, 1);
                return test.ToDataset(TargetKind.ClassIndex);
            }

            public static void Run()
            {
                var holdout = Holdout();
                var model = new Net(1);
                model.Fit(holdout, epochs: 5);
            }
        }
        """, "MG0022", "model.Fit(holdout, epochs: 5)", "'model.Fit' trains on the test rows of 'Split.TrainTest'");

    [Fact]
    public async Task MG0022_DatasetOnlyCaller_TrainsOnTestRowsFromALocalFunction() => await AssertLeak("""
        public static class Experiment
        {
            private static readonly Table<Unsplit> Rows = null!;

            public static void Run()
            {
                var model = new Net(1);
                model.Fit(Holdout(), epochs: 5);

                static Dataset Holdout() => Split.TrainTest(Rows, 0.2, SplitKind.Random, 1).Test.ToDataset(TargetKind.ClassIndex);
            }
        }
        """, "MG0022", "model.Fit(Holdout(), epochs: 5)", "'model.Fit' trains on the test rows of 'Split.TrainTest'");

    [Fact]
    public async Task DatasetOnlyCaller_TrainingOnTheTrainingPartFromAHelper_IsClean() => await AssertClean("""
        public static class Experiment
        {
            private static readonly Table<Unsplit> Rows = null!;

            private static Dataset Training()
            {
                var (train, test) = Split.TrainTest(Rows, 0.2, SplitKind.Random, 1);
                return train.ToDataset(TargetKind.ClassIndex);
            }

            public static void Run()
            {
                var model = new Net(1);
                model.Fit(Training(), epochs: 5);
                model.Evaluate(Dataset.ForClassification(new float[8], 2, new int[4], 2));
            }
        }
        """);
}
