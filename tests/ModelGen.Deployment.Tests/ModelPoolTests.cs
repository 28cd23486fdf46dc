using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Serving;
using TumourModel;
using Xunit;

namespace ModelGen.Deployment.Tests;

/// <summary>The service's model pool: one user per model at a time, a fixed size, and clones that predict as the original.</summary>
public class ModelPoolTests(TrainedModel model) : IClassFixture<TrainedModel>
{
    [Fact]
    public async Task NoPredictorIsLentToTwoUsersAtOnceAndThePoolNeverGrows()
    {
        using var pool = new ModelPool(model.LoadPredictor(), size: 3);
        var users = new ConcurrentDictionary<Predictor, int>(ReferenceEqualityComparer.Instance);
        int overlaps = 0, busy = 0, mostBusy = 0;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            for (int i = 0; i < 200; i++)
            {
                using var lease = await pool.RentAsync();
                if (users.AddOrUpdate(lease.Predictor, 1, (_, n) => n + 1) > 1) Interlocked.Increment(ref overlaps);
                int now = Interlocked.Increment(ref busy);
                for (int seen; (seen = Volatile.Read(ref mostBusy)) < now && Interlocked.CompareExchange(ref mostBusy, now, seen) != seen;) { }
                await Task.Yield();
                Interlocked.Decrement(ref busy);
                users.AddOrUpdate(lease.Predictor, 0, (_, n) => n - 1);
            }
        })));
        Assert.Equal(0, overlaps);
        Assert.InRange(users.Count, 1, 3);   // only the pool's three predictors, however many rents
        Assert.InRange(mostBusy, 1, 3);
    }

    [Fact]
    public async Task AWaitingRenterCanGiveUp()
    {
        using var pool = new ModelPool(model.LoadPredictor(), size: 1);
        using var held = await pool.RentAsync();
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pool.RentAsync(cancel.Token));
        held.Dispose();
        held.Dispose();   // a second dispose must not return the predictor twice
        using var again = await pool.RentAsync();
        using var cancelSecond = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pool.RentAsync(cancelSecond.Token));
    }

    [Fact]
    public void AClonePredictsBitForBitAsTheOriginalAndOwnsItsWeights()
    {
        var original = model.LoadPredictor();
        var clone = original.Clone();
        Assert.NotSame(original.Model, clone.Model);
        var rows = model.Trained.TestRows;
        var a = original.Predict(rows);
        var b = clone.Predict(rows);
        Assert.Equal(a.Classes, b.Classes);
        Assert.Equal(a.Probabilities, b.Probabilities);
        clone.Model.Parameters.Clear();
        Assert.Equal(a.Probabilities, original.Predict(rows).Probabilities);
    }
}
