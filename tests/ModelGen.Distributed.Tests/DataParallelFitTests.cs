using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using Xunit;

namespace ModelGen.Distributed.Tests;

/// <summary>The single-process reference and a 2-rank run of the same training, each launched once for the tests that compare them.</summary>
public sealed class ReferenceRuns : IDisposable
{
    public ReferenceRuns()
    {
        Alone = MpiJob.NewFolder("alone");
        MpiJob.RunAlone($"--out {Alone} --epochs {Epochs}");
        TwoRanks = MpiJob.NewFolder("two-ranks");
        MpiJob.Run(2, $"--out {TwoRanks} --epochs {Epochs}");
    }

    public const int Epochs = 4;

    /// <summary>200 rows in batches of 32: six full steps and one of 8 rows per epoch.</summary>
    public const int StepsPerEpoch = 7, Rows = 200;

    public string Alone { get; }

    public string TwoRanks { get; }

    /// <summary>Removes every job's files once the class's tests are done.</summary>
    public void Dispose()
    {
        if (Directory.Exists(MpiJob.Root)) Directory.Delete(MpiJob.Root, recursive: true);
    }
}

/// <summary>
/// Data-parallel Fit under <c>mpirun --oversubscribe -np 2</c> (loopback TCP): identical parameters on every rank after every
/// step, disjoint shards covering every row once per epoch, the single-process result within float32 rounding, ranks that
/// stop together, a failing or killed rank that ends the job in bounded time, and resuming on another number of ranks.
/// </summary>
public sealed class DataParallelFitTests(ReferenceRuns runs) : IClassFixture<ReferenceRuns>
{
    /// <summary>
    /// Largest |distributed − single process| of a parameter after 4 epochs (28 Adam steps, clipped): the ranks sum two
    /// per-rank means where one process takes one mean of the whole batch, so sums round differently; measured 1.5e-7 here (parameters of magnitude up to about 1).
    /// </summary>
    private const float Tolerance = 2e-6f;

    [Fact]
    public void EveryRankHoldsTheSameParametersAfterEveryStep()
    {
        var rank0 = RankFiles.Read(runs.TwoRanks, 0);
        var rank1 = RankFiles.Read(runs.TwoRanks, 1);
        // One hash before each step and one after Fit.
        Assert.Equal(ReferenceRuns.Epochs * ReferenceRuns.StepsPerEpoch + 1, rank0.Hashes.Length);
        Assert.Equal(rank0.Hashes, rank1.Hashes);
        Assert.Equal(rank0.Parameters, rank1.Parameters);
        // The parameters did change: equal hashes are not those of an untrained model.
        Assert.Equal(ReferenceRuns.Epochs * ReferenceRuns.StepsPerEpoch + 1, rank0.Hashes.Distinct().Count());
        Assert.Equal(rank0.History, rank1.History);
    }

    [Fact]
    public void EachEpochsShardsAreDisjointAndCoverEveryRowOnce()
    {
        var rank0 = RankFiles.Read(runs.TwoRanks, 0);
        var rank1 = RankFiles.Read(runs.TwoRanks, 1);
        Assert.Equal(ReferenceRuns.Epochs * ReferenceRuns.StepsPerEpoch, rank0.Shards.Length);
        Assert.Equal(rank0.Shards.Length, rank1.Shards.Length);
        for (int epoch = 0; epoch < ReferenceRuns.Epochs; epoch++)
        {
            var rows0 = rank0.Shards.Skip(epoch * ReferenceRuns.StepsPerEpoch).Take(ReferenceRuns.StepsPerEpoch).SelectMany(r => r).ToList();
            var rows1 = rank1.Shards.Skip(epoch * ReferenceRuns.StepsPerEpoch).Take(ReferenceRuns.StepsPerEpoch).SelectMany(r => r).ToList();
            Assert.Empty(rows0.Intersect(rows1));
            Assert.Equal(Enumerable.Range(0, ReferenceRuns.Rows), rows0.Concat(rows1).OrderBy(r => r));
            // Halves of every step: 16 + 16 rows, and 4 + 4 of the last step's 8.
            Assert.All(rank0.Shards.Zip(rank1.Shards), pair => Assert.True(Math.Abs(pair.First.Length - pair.Second.Length) <= 1));
        }
        // Each epoch is a new shuffle.
        Assert.NotEqual(rank0.Shards[0], rank0.Shards[ReferenceRuns.StepsPerEpoch]);
    }

    [Fact]
    public void TwoRanksTrainAsOneProcessWithTheSameGlobalBatch()
    {
        var alone = RankFiles.Read(runs.Alone, 0);
        var distributed = RankFiles.Read(runs.TwoRanks, 0);
        float worst = MaxDifference(alone.Parameters, distributed.Parameters);
        Assert.True(worst <= Tolerance, $"The 2-rank parameters differ from one process's by up to {worst:G3}; the tolerance is {Tolerance:G3}.");
        // Trained, not merely equal: the parameters moved away from the shared start.
        Assert.NotEqual(alone.Hashes[0], alone.Hashes[^1]);
        Assert.Equal(alone.TrainLosses.Length, distributed.TrainLosses.Length);
        for (int e = 0; e < alone.TrainLosses.Length; e++) Assert.Equal(alone.TrainLosses[e], distributed.TrainLosses[e], 1e-5f);
        // The training accuracy counts every rank's rows (summed after each epoch), not rank 0's block alone.
        for (int e = 0; e < alone.TrainAccuracies.Length; e++) Assert.Equal(alone.TrainAccuracies[e], distributed.TrainAccuracies[e], 0.02f);
    }

    [Fact]
    public void ClassWeightsAndAccumulationTrainAsOneProcess()
    {
        string alone = MpiJob.NewFolder("weighted-alone"), distributed = MpiJob.NewFolder("weighted-two");
        MpiJob.RunAlone($"--out {alone} --epochs 2 --weighted-accumulated");
        MpiJob.Run(2, $"--out {distributed} --epochs 2 --weighted-accumulated");
        var rank0 = RankFiles.Read(distributed, 0);
        Assert.Equal(rank0.Hashes, RankFiles.Read(distributed, 1).Hashes);
        // Each rank's share of a step is its rows' class weight over the step's, not its row count.
        float worst = MaxDifference(RankFiles.Read(alone, 0).Parameters, rank0.Parameters);
        Assert.True(worst <= Tolerance, $"With class weights and accumulation the 2-rank parameters differ from one process's by up to {worst:G3}.");
        // Different from the unweighted run: the option reached both.
        Assert.NotEqual(RankFiles.Read(runs.TwoRanks, 0).Hashes[ReferenceRuns.StepsPerEpoch], rank0.Hashes[ReferenceRuns.StepsPerEpoch]);
    }

    [Fact]
    public void RankOrderReductionGivesEveryRankTheSameBitsAsTheAllreduce()
    {
        string folder = MpiJob.NewFolder("rank-order");
        MpiJob.Run(2, $"--out {folder} --epochs {ReferenceRuns.Epochs} --rank-order");
        var rank0 = RankFiles.Read(folder, 0);
        var rank1 = RankFiles.Read(folder, 1);
        Assert.Equal(rank0.Hashes, rank1.Hashes);
        // With two ranks each sum has a single addition, which both reductions form alike.
        Assert.Equal(RankFiles.Read(runs.TwoRanks, 0).Hashes, rank0.Hashes);
    }

    [Fact]
    public void EvaluateSharedOverTheRanksEqualsOneProcesssEvaluation()
    {
        string[] Read(int rank) => File.ReadAllLines(Path.Combine(runs.TwoRanks, $"rank{rank}.evaluate"));
        var (rank0, rank1) = (Read(0), Read(1));
        // Every rank returns the same evaluation of all 60 rows.
        Assert.Equal(rank0[0], rank1[0]);
        var shared = rank0[0].Split(' ');
        var alone = rank0[1].Split(' ');
        Assert.Equal("60", shared[2]);
        Assert.Equal(alone[1], shared[1]);   // accuracy: exact counts
        float sharedLoss = float.Parse(shared[0], System.Globalization.CultureInfo.InvariantCulture);
        float aloneLoss = float.Parse(alone[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(aloneLoss, sharedLoss, 1e-6f);
    }

    [Fact]
    public void WithBatchNormAndDropoutTheRanksStillAgreeOnParametersAndState()
    {
        string folder = MpiJob.NewFolder("batchnorm");
        MpiJob.Run(2, $"--out {folder} --epochs 2 --mode batchnorm");
        var rank0 = RankFiles.Read(folder, 0);
        var rank1 = RankFiles.Read(folder, 1);
        // Each rank normalises its own rows and draws its own masks, yet the averaged gradients keep the parameters equal,
        // and the running statistics are averaged after every epoch.
        // A hash per step, the state at epoch 2's start, the final parameters and state.
        Assert.Equal(2 * ReferenceRuns.StepsPerEpoch + 3, rank0.Hashes.Length);
        Assert.StartsWith("epoch state ", rank0.Hashes[ReferenceRuns.StepsPerEpoch + 1]);
        Assert.StartsWith("state ", rank0.Hashes[^1]);
        Assert.Equal(rank0.Hashes, rank1.Hashes);
    }

    [Theory]
    [InlineData("")]
    [InlineData("--rank-order")]
    public void AStepAllocatesNothing(string reduction)
    {
        string folder = MpiJob.NewFolder("alloc");
        MpiJob.Run(2, $"--out {folder} --epochs 3 --mode alloc {reduction}");
        for (int rank = 0; rank < 2; rank++)
        {
            var bytes = File.ReadAllLines(Path.Combine(folder, $"rank{rank}.alloc")).Select(long.Parse).ToArray();
            Assert.Equal(2 * (ReferenceRuns.StepsPerEpoch - 1), bytes.Length);   // epochs 2 and 3, less their first steps
            Assert.All(bytes, b => Assert.Equal(0, b));
        }
    }

    [Fact]
    public void RootsCallbackStopsEveryRankAfterTheSameEpoch()
    {
        string folder = MpiJob.NewFolder("stop");
        MpiJob.Run(2, $"--out {folder} --epochs 5 --mode stop");
        var rank0 = RankFiles.Read(folder, 0);
        var rank1 = RankFiles.Read(folder, 1);
        Assert.Equal(2, rank0.Epochs);
        Assert.Equal(2, rank1.Epochs);
        Assert.Contains("stoppedByCallback True", rank1.History);
        Assert.Equal(rank0.Hashes, rank1.Hashes);
    }

    [Fact]
    public void AnExceptionOnOneRankEndsTheJobWithItsMessage()
    {
        string folder = MpiJob.NewFolder("throw");
        var clock = Stopwatch.StartNew();
        using var job = MpiJob.Start(2, $"--out {folder} --epochs 50 --mode throw");
        int code = job.Wait(60);
        Assert.NotEqual(0, code);
        Assert.Contains("rank 1 of 2: Fit failed, aborting all 2 ranks", job.Output);
        Assert.Contains("injected failure at step 5", job.Output);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"The job took {clock.Elapsed.TotalSeconds:F1} s to end.");
        // Rank 0 never finished its Fit.
        Assert.False(File.Exists(Path.Combine(folder, "rank0.params")));
    }

    [Fact]
    public void AKilledRankEndsTheOtherWithinSeconds()
    {
        string folder = MpiJob.NewFolder("kill");
        using var job = MpiJob.Start(2, $"--out {folder} --epochs 1000000");
        string pid0 = Path.Combine(folder, "rank0.pid"), pid1 = Path.Combine(folder, "rank1.pid");
        var started = Stopwatch.StartNew();
        while (!(File.Exists(pid0) && File.Exists(pid1)))
        {
            Assert.False(job.HasExited, $"The job ended before training:\n{job.Output}");
            Assert.True(started.Elapsed < TimeSpan.FromSeconds(60), "The ranks did not start within 60 s.");
            System.Threading.Thread.Sleep(50);
        }
        System.Threading.Thread.Sleep(1500);   // well into training: both ranks are in the step loop's all-reduces
        Assert.False(job.HasExited, $"The job ended before the kill:\n{job.Output}");
        using (var victim = Process.GetProcessById(int.Parse(File.ReadAllText(pid1))))
            victim.Kill();   // SIGKILL: no handler, no MPI_Abort, no goodbye
        var clock = Stopwatch.StartNew();
        int code = job.Wait(30);
        Assert.NotEqual(0, code);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"The surviving rank took {clock.Elapsed.TotalSeconds:F1} s to end.");
        Assert.Contains("signal 9", job.Output);
        Assert.False(File.Exists(Path.Combine(folder, "rank0.params")));
    }

    [Fact]
    public void ACheckpointOfTwoRanksResumesInOneProcess()
    {
        string checkpoints = MpiJob.NewFolder("ckpt-2to1"), first = MpiJob.NewFolder("first-2"), second = MpiJob.NewFolder("then-1");
        MpiJob.Run(2, $"--out {first} --epochs 2 --checkpoints {checkpoints}");
        MpiJob.RunAlone($"--out {second} --epochs {ReferenceRuns.Epochs} --resume {checkpoints} --checkpoints {checkpoints}");
        var resumed = RankFiles.Read(second, 0);
        Assert.Equal(ReferenceRuns.Epochs, resumed.Epochs);
        float worst = MaxDifference(RankFiles.Read(runs.TwoRanks, 0).Parameters, resumed.Parameters);
        Assert.True(worst <= Tolerance, $"Resumed alone, the parameters differ from the uninterrupted 2-rank run's by up to {worst:G3}.");
        // The single process went on writing checkpoints after the two ranks' epoch 2.
        Assert.Equal(Path.Combine(checkpoints, Checkpoint.FileName(ReferenceRuns.Epochs)), Checkpoint.Latest(checkpoints));
    }

    [Fact]
    public void ACheckpointOfOneProcessResumesOnTwoRanks()
    {
        string checkpoints = MpiJob.NewFolder("ckpt-1to2"), first = MpiJob.NewFolder("first-1"), second = MpiJob.NewFolder("then-2");
        MpiJob.RunAlone($"--out {first} --epochs 2 --checkpoints {checkpoints}");
        MpiJob.Run(2, $"--out {second} --epochs {ReferenceRuns.Epochs} --resume {checkpoints}");
        var rank0 = RankFiles.Read(second, 0);
        var rank1 = RankFiles.Read(second, 1);
        Assert.Equal(rank0.Hashes, rank1.Hashes);
        Assert.Equal(ReferenceRuns.Epochs, rank0.Epochs);
        // Only the last two epochs ran here: 14 steps.
        Assert.Equal(2 * ReferenceRuns.StepsPerEpoch, rank0.Shards.Length);
        float worst = MaxDifference(RankFiles.Read(runs.Alone, 0).Parameters, rank0.Parameters);
        Assert.True(worst <= Tolerance, $"Resumed on 2 ranks, the parameters differ from the uninterrupted single-process run's by up to {worst:G3}.");
    }

    private static float MaxDifference(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        float worst = 0;
        for (int i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]));
        return worst;
    }
}
