using System;
using System.IO;
using System.Linq;
using ModelGen.Distributed;
using ModelGen.Tests.Models;
using Xunit;

namespace ModelGen.Tests.Training;

/// <summary>
/// The parts of data-parallel training that need no MPI job: the row blocks, the dropout seeds, and that a program
/// training alone never loads MPI. Training under mpirun is tested by ModelGen.Distributed.Tests.
/// </summary>
public class DistributedTrainingTests
{
    [Theory]
    [InlineData(32, 2)]
    [InlineData(8, 3)]
    [InlineData(2, 4)]
    [InlineData(1000, 7)]
    public void RankBlocksAreContiguousDisjointAndCoverTheStep(int rows, int ranks)
    {
        int next = 0;
        for (int rank = 0; rank < ranks; rank++)
        {
            var (start, end) = DataParallelStep.Block(rows, rank, ranks);
            Assert.Equal(next, start);
            Assert.InRange(end - start, rows / ranks, (rows + ranks - 1) / ranks);
            next = end;
        }
        Assert.Equal(rows, next);
    }

    [Fact]
    public void EachRankAndEpochDrawsItsOwnDropoutStream()
    {
        var seeds = (from rank in Enumerable.Range(0, 4) from epoch in Enumerable.Range(1, 5) select Trainer.RankDropoutSeed(7, rank, epoch)).ToList();
        Assert.Equal(seeds.Count, seeds.Distinct().Count());
        Assert.Equal(Trainer.RankDropoutSeed(7, 1, 2), Trainer.RankDropoutSeed(7, 1, 2));
        Assert.NotEqual(Trainer.RankDropoutSeed(7, 1, 2), Trainer.RankDropoutSeed(8, 1, 2));
    }

    [Fact]
    public void TrainingAloneNeverLoadsMpi()
    {
        Assert.False(Mpi.IsLaunchedByMpi);
        Assert.Null(Mpi.FromEnvironment());
        var model = new Blobs(seed: 1);
        model.Fit(FitFeatureTests.MakeBlobs(64, 2), epochs: 1, batchSize: 16);
        if (OperatingSystem.IsLinux())
            Assert.DoesNotContain("libmpi", File.ReadAllText("/proc/self/maps"));
    }

    [Fact]
    public void AnMpiLibraryThatIsNotOpenMpiIsRefusedWithTheReason()
    {
        if (!OperatingSystem.IsLinux()) return;   // the stand-in library below is glibc's
        string? before = Environment.GetEnvironmentVariable(MpiNative.PathVariable);
        Environment.SetEnvironmentVariable(MpiNative.PathVariable, "libc.so.6");
        try
        {
            var error = Assert.Throws<InvalidOperationException>(() => MpiNative.Load());
            Assert.Contains("'libc.so.6' was loaded but is not Open MPI", error.Message);
            Assert.Contains("MPICH", error.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable(MpiNative.PathVariable, before);
        }
    }
}
