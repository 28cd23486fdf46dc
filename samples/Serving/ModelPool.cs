using System;
using System.Collections.Concurrent;
using System.Threading;
using System.Threading.Tasks;
using TumourModel;

namespace Serving;

/// <summary>
/// A fixed set of predictors with the same weights, each used by one request at a time: a model predicts in buffers of
/// its own, so concurrent requests must not share one. A request waits when all are busy; the set never grows, so memory
/// stays bounded under any load.
/// </summary>
public sealed class ModelPool : IDisposable
{
    private readonly ConcurrentBag<Predictor> _idle = new();
    private readonly SemaphoreSlim _available;

    /// <summary>A pool of <paramref name="size"/> predictors: <paramref name="prototype"/> and clones of it.</summary>
    /// <param name="prototype">The loaded predictor; it becomes one of the pool's members.</param>
    /// <param name="size">How many requests can predict at once (1 or more).</param>
    public ModelPool(Predictor prototype, int size)
    {
        ArgumentNullException.ThrowIfNull(prototype);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        _idle.Add(prototype);
        for (int i = 1; i < size; i++) _idle.Add(prototype.Clone());
        _available = new SemaphoreSlim(size, size);
        Size = size;
        Prototype = prototype;
    }

    /// <summary>How many predictors the pool holds.</summary>
    public int Size { get; }

    /// <summary>The predictor the pool was made from (for its metadata; predict through <see cref="RentAsync"/>).</summary>
    public Predictor Prototype { get; }

    /// <summary>Waits for an idle predictor and hands it out until the lease is disposed.</summary>
    /// <param name="cancellationToken">Stops waiting (e.g. the client went away).</param>
    public async ValueTask<Lease> RentAsync(CancellationToken cancellationToken = default)
    {
        await _available.WaitAsync(cancellationToken).ConfigureAwait(false);
        // The semaphore counts idle members, so one is there.
        if (!_idle.TryTake(out var predictor))
        {
            _available.Release();
            throw new InvalidOperationException("The model pool's count and its idle members disagree.");
        }
        return new Lease(this, predictor);
    }

    private void Return(Predictor predictor)
    {
        _idle.Add(predictor);
        _available.Release();
    }

    /// <inheritdoc/>
    public void Dispose() => _available.Dispose();

    /// <summary>One predictor, lent to one user until disposed.</summary>
    public sealed class Lease : IDisposable
    {
        private ModelPool? _pool;

        internal Lease(ModelPool pool, Predictor predictor)
        {
            _pool = pool;
            Predictor = predictor;
        }

        /// <summary>The lent predictor; use it only until the lease is disposed.</summary>
        public Predictor Predictor { get; }

        /// <summary>Gives the predictor back (once, however often this is called).</summary>
        public void Dispose() => Interlocked.Exchange(ref _pool, null)?.Return(Predictor);
    }
}
