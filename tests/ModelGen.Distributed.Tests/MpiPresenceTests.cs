using Xunit;

namespace ModelGen.Distributed.Tests;

/// <summary>Without Open MPI these tests fail, saying what to install; they never skip.</summary>
public sealed class MpiPresenceTests
{
    [Fact]
    public void OpenMpiIsInstalled() => Assert.EndsWith("mpirun", MpiJob.MpiRun);
}
