using System;
using System.Collections.Generic;
using System.Diagnostics;

namespace ModelGen;

/// <summary>The arguments of <see cref="Model.Fit"/>, as the caller passed them.</summary>
internal sealed record FitSettings(
    Dataset Train, Dataset? Validation, int Epochs, int BatchSize, Optimizer? Optimizer, int Seed, float ClipGradientNorm,
    Action<EpochResult>? OnEpoch, LearningRateSchedule? Schedule, int AccumulationSteps, EarlyStopping? EarlyStopping,
    float L1, float L2, Device? Device, CheckpointOptions? Checkpoints = null, string? ResumeFrom = null, float[]? ClassWeights = null, ClassSampling? Sampling = null,
    ImageAugmentation? Augment = null, EpochCallback? OnEpochEnd = null, IReadOnlyList<EpochMetric>? Metrics = null,
    IProgress<TrainingProgressReport>? Progress = null, Distributed.Mpi? Distributed = null);

/// <summary>
/// <see cref="Model.Fit"/>'s loop. It checks the arguments, then, epoch by epoch, shuffles the rows, cuts them into
/// optimizer steps (of micro-batches when accumulating), gives each step its scheduled learning rate, runs it on a
/// <see cref="TrainingDevice"/> (CPU or GPU), validates, reports, and applies early stopping. What a later epoch depends
/// on lives in <see cref="TrainingProgress"/>, next to the model's parameters and state and the optimizer's state; a
/// checkpoint (<see cref="CheckpointFile"/>) saves all of it after an epoch, and a resumed Fit starts from one.
/// </summary>
internal sealed class Trainer
{
    private readonly Model _model;
    private readonly FitSettings _settings;
    private readonly Optimizer _optimizer;
    private readonly int _batch;      // rows per micro-batch
    private readonly int _group;      // rows per optimizer step
    private readonly float _baseRate; // what the schedule scales: the optimizer's rate when Fit started
    private readonly ClassSampler? _sampler; // draws each epoch's rows when Fit samples by class
    private readonly Distributed.Mpi? _mpi;  // the ranks training together; null: this process alone
    private readonly bool _root;             // this process logs, evaluates and writes checkpoints
    private Distributed.DataParallelStep? _dataParallel;

    private Trainer(Model model, FitSettings settings)
    {
        _model = model;
        _settings = settings;
        _optimizer = settings.Optimizer ?? new Adam(1e-3f);
        _batch = Math.Min(settings.BatchSize, settings.Train.Count);
        _group = (int)Math.Min((long)_batch * settings.AccumulationSteps, settings.Train.Count);
        _baseRate = _optimizer.LearningRate;
        _sampler = settings.Sampling?.For(settings.Train);
        _mpi = settings.Distributed;
        _root = _mpi is null || _mpi.IsRoot;
    }

    /// <summary>Trains <paramref name="model"/> as <see cref="Model.Fit"/> documents.</summary>
    public static TrainingHistory Fit(Model model, FitSettings settings)
    {
        Check(model, settings);
        var trainer = new Trainer(model, settings);
        trainer.CheckRun();
        if (settings.Distributed is not { AbortOnError: true } mpi) return trainer.Run();
        try
        {
            return trainer.Run();
        }
        catch (Exception e)
        {
            // The other ranks wait for this one in their next collective call: end them all, saying why.
            mpi.Abort($"Fit failed, aborting all {mpi.Size} ranks: {e}");
            throw;
        }
    }

    /// <summary>The checks that need the run's batch sizes and optimizer: every rank makes them alike, before anything is aborted.</summary>
    private void CheckRun()
    {
        if (_mpi is null) _model.CheckBatchStatistics(_settings.Train.Count, _batch, _group);
        else CheckRankBatchStatistics();
        CheckOptimizer();
    }

    /// <summary>Refuses an optimizer whose updates or state ModelGen cannot handle: one of another library with frozen layers or checkpoints.</summary>
    private void CheckOptimizer()
    {
        if (_optimizer.IsBuiltIn) return;
        if (_settings.Checkpoints is not null || _settings.ResumeFrom is not null)
            throw new NotSupportedException($"Checkpoints hold the state of ModelGen's optimizers (Sgd, Adam, AdamW, RmsProp, Adagrad); {_optimizer.GetType().Name} may keep state they cannot see. Use one of those, or train without checkpoints.");
        if (_model.HasFrozenLayers) throw _model.FrozenLayersNeedBuiltInOptimizer(_optimizer);
    }

    private static void Check(Model model, FitSettings s)
    {
        model.CheckData(s.Train, "train");
        if (s.Validation is not null) model.CheckData(s.Validation, "validation");
        if (s.Epochs < 0) throw new ArgumentOutOfRangeException("epochs", s.Epochs, "The number of epochs must be ≥ 0.");
        if (s.BatchSize < 1) throw new ArgumentOutOfRangeException("batchSize", s.BatchSize, "The batch size must be ≥ 1.");
        if (s.AccumulationSteps < 1) throw new ArgumentOutOfRangeException("accumulationSteps", s.AccumulationSteps, "The number of accumulation steps must be ≥ 1.");
        GradientPenalty.Check(s.L1, s.L2);
        if (s.Train.Count == 0) throw new ArgumentException("The training set has no rows.", "train");
        if (s.Distributed is { } mpi)
        {
            mpi.CheckAlive();
            if (s.Device is { Kind: not DeviceKind.Cpu } device)
                throw new NotSupportedException($"Data-parallel training (distributed) runs on the CPU; device {device} was asked for. Pass device: null or Device.Cpu (the GPU path over NCCL is a design in docs/distributed.md, not built yet).");
        }
        if (s.ClassWeights is { } classWeights) ModelGen.ClassWeights.Check(model, classWeights);
        s.Augment?.Check(model);
        if (s.Metrics is { Count: > 0 } metrics)
        {
            var names = new HashSet<string>();
            foreach (var metric in metrics)
            {
                if (metric is null) throw new ArgumentException("The metrics list holds a null entry.", "metrics");
                if (!names.Add(metric.Name)) throw new ArgumentException($"Two metrics are named \"{metric.Name}\"; each name must be unique.", "metrics");
                if (!metric.OnValidationSet && !metric.OnTrainingSet)
                    throw new ArgumentException($"Metric \"{metric.Name}\" is computed on neither set; set OnValidationSet or OnTrainingSet.", "metrics");
                if (metric.OnValidationSet && s.Validation is null)
                    throw new ArgumentException($"Metric \"{metric.Name}\" is computed on the validation set after every epoch; pass 'validation' to Fit, or set OnValidationSet = false and OnTrainingSet = true.", "metrics");
            }
        }
        if (s.EarlyStopping is { } stopping)
        {
            if (s.Validation is null)
                throw new ArgumentException("Early stopping monitors the validation set after every epoch; pass 'validation' to Fit.", "earlyStopping");
            if (stopping.Monitor == EarlyStopMetric.ValidationAccuracy && (model.Loss is Loss.MeanSquaredError or Loss.Contrastive || model.Heads.Count > 1))
                throw new ArgumentException(model.Heads.Count > 1
                    ? $"{model.GetType().Name} has {model.Heads.Count} heads, each with its own accuracy; monitor EarlyStopMetric.ValidationLoss (the weighted total)."
                    : $"{model.GetType().Name} uses {model.Loss}, which has no accuracy; monitor EarlyStopMetric.ValidationLoss.", "earlyStopping");
        }
    }

    private TrainingHistory Run()
    {
        var s = _settings;
        // What the run is, as a checkpoint records it; a resumed Fit must be the same run.
        var run = s.Checkpoints is null && s.ResumeFrom is null ? null : CheckpointFile.Describe(_model, s, _optimizer);
        var resume = s.ResumeFrom is null ? null : CheckpointFile.Read(s.ResumeFrom);
        resume?.Verify(_model, _optimizer, run!, s);
        if (s.Checkpoints is { } checkpoints && _root) Checkpoint.CheckDirectory(checkpoints, resume?.Epoch ?? 0);
        // Everything is checked before training starts: an unsupported GPU option or a checkpoint of another run fails (or
        // falls back) with the model untouched.
        var update = new UpdateOptions(s.ClipGradientNorm, s.L1, s.L2);
        if (_mpi is not null) _dataParallel = new Distributed.DataParallelStep(_mpi, _model.ParameterCount);
        using var device = _dataParallel is null
            ? TrainingDevice.Open(_model, s.Device, _optimizer, _batch, s.AccumulationSteps, update, s.ClassWeights)
            : new CpuTrainingDevice(_model, _optimizer, update, _batch, s.AccumulationSteps, s.ClassWeights, _dataParallel);
        if (s.Augment is { } augment) device.Augmenter = new ImageAugmenter(augment, s.Seed);
        TrainingProgress progress;
        if (resume is null)
        {
            device.SetRandomSeed(s.Seed);
            progress = new TrainingProgress(s.Train.Count, s.Seed, s.EarlyStopping is null ? null : new EarlyStoppingProgress(s.EarlyStopping, _model));
        }
        else progress = resume.Restore(_model, _optimizer, device, s);
        // Every rank starts from rank 0's parameters and state (a fresh model's may differ by seed; a checkpoint's are equal).
        if (_mpi is not null) ShareRootModel(_mpi);
        _model.DiscardAccumulatedGradients();
        bool completed = false;
        try
        {
            while (progress.Epoch < s.Epochs && !progress.History.StoppedEarly && !progress.History.StoppedByCallback) RunEpoch(device, progress, run);
            // Only the root observed validation (and copied the best weights); it hands its model to the others.
            if (_root) progress.Stopping?.RestoreBest(progress.History, _model);
            if (_mpi is not null)
            {
                ShareRootModel(_mpi);
                if (!_root && progress.Stopping is { BestParameters: not null } && progress.History.BestEpoch is not null) progress.History.RestoredBestWeights = true;
            }
            completed = true;
        }
        finally
        {
            _model.DiscardAccumulatedGradients();
            device.Finish(completed);
        }
        return progress.History;
    }

    private void RunEpoch(TrainingDevice device, TrainingProgress progress, IReadOnlyList<(string Key, string Value)>? run)
    {
        var s = _settings;
        int epoch = progress.Epoch + 1;
        var clock = Stopwatch.StartNew();
        if (device.Augmenter is { } augmenter) augmenter.Epoch = epoch;
        // Each rank draws its own dropout masks, from a stream of (seed, rank, epoch): a resumed run draws the same ones.
        if (_mpi is not null) device.SetRandomSeed(RankDropoutSeed(s.Seed, _mpi.Rank, epoch));
        var order = _sampler is null ? progress.Rows.Shuffle() : _sampler.Draw(s.Seed, epoch);
        double lossSum = 0;
        device.ResetAccuracy();
        float rate = float.NaN;
        int steps = (order.Length + _group - 1) / _group, step = 0;
        long lastReport = 0;
        for (int start = 0; start < order.Length; start += _group)
        {
            int rows = Math.Min(_group, order.Length - start);
            rate = StepRate(progress.Step);
            float loss = device.Step(s.Train, order.Slice(start, rows), rate);
            progress.Step++;
            if (!float.IsFinite(loss)) throw NonFiniteLoss(loss, epoch, step + 1, steps, rate);
            lossSum += (double)loss * rows;
            step++;
            // Throttled: at most ten reports a second, and the epoch's last step; nothing at all without a progress sink.
            if (_root && s.Progress is { } sink && (step == steps || clock.ElapsedMilliseconds - lastReport >= 100))
            {
                lastReport = clock.ElapsedMilliseconds;
                sink.Report(Report(epoch, step, steps, start + rows, lossSum, device.Accuracy, clock.Elapsed, null));
            }
        }
        var trainingTime = clock.Elapsed;
        // The model holds each epoch's result: validation, onEpoch and early stopping's copies read it on the host.
        device.UpdateModel();
        _dataParallel?.AverageState(_model.State);
        if (_mpi is not null) device.SumAccuracyAcrossRanks(_mpi);
        CheckParameters(epoch);
        if (!_root)
        {
            FollowRoot(epoch, (float)(lossSum / s.Train.Count), device.Accuracy, rate, clock, progress);
            return;
        }
        Evaluation? valid = s.Validation is null ? null : _model.EvaluateChecked(s.Validation);
        var metrics = UserMetrics(s.Validation, training: false);
        var trainMetrics = UserMetrics(s.Train, training: true);
        var result = new EpochResult(epoch, (float)(lossSum / s.Train.Count), valid?.Loss, valid?.Accuracy, clock.Elapsed)
        {
            LearningRate = rate,
            TrainAccuracy = device.Accuracy,
        };
        if (metrics is not null) result = result with { Metrics = metrics };
        if (device.LossTermMeans() is { } terms) result = result with { LossTerms = terms };
        if (trainMetrics is not null) result = result with { TrainMetrics = trainMetrics };
        progress.Epoch = epoch;
        progress.History.Add(result);
        s.Progress?.Report(Report(epoch, steps, steps, order.Length, lossSum, device.Accuracy, trainingTime, result));
        s.OnEpoch?.Invoke(result);
        progress.Stopping?.Observe(result, s.Epochs, progress.History, _model);
        // The callback sees early stopping's verdict on this epoch; its stop ends this Fit only (a checkpoint does not record it).
        if (s.OnEpochEnd is { } callback && callback(result, progress.History) == EpochDecision.Stop
            && !progress.History.StoppedEarly && epoch < s.Epochs)
        {
            progress.History.StoppedByCallback = true;
            progress.History.StoppedEpoch = epoch;
        }
        bool stopping = progress.History.StoppedEarly || progress.History.StoppedByCallback;
        if (_mpi is not null) ShareOutcome(_mpi, result, progress.History);
        if (s.Checkpoints is { } checkpoints && (epoch % checkpoints.EveryEpochs == 0 || epoch == s.Epochs || stopping))
        {
            // Written before early stopping restores its best weights, so that a resumed Fit goes on from this epoch's.
            device.UpdateOptimizer();
            System.IO.Directory.CreateDirectory(checkpoints.Directory);
            CheckpointFile.Write(System.IO.Path.Combine(checkpoints.Directory, Checkpoint.FileName(epoch)), _model, _optimizer, run!, progress, device.GpuDropout);
            Checkpoint.Prune(checkpoints);
        }
    }

    /// <summary>
    /// Why the loss of step <paramref name="step"/> is NaN or ±∞. Fit refuses non-finite data unless the set was made with
    /// allowNonFinite, so with checked data the cause is divergence; with unchecked data that holds such values, the data.
    /// </summary>
    private InvalidOperationException NonFiniteLoss(float loss, int epoch, int step, int steps, float rate)
    {
        var c = System.Globalization.CultureInfo.InvariantCulture;
        string when = string.Create(c, $"The training loss became {NonFiniteValues.Describe(loss)} in epoch {epoch}, step {step} of {steps} (learning rate {rate:G4})");
        if (_settings.Train.AllowsNonFinite && _settings.Train.FirstNonFinite() is { } value)
            return new InvalidOperationException(
                $"{when}: the training set was made with allowNonFinite: true and holds non-finite values ({value}), which reach the loss. " +
                "Fill or drop them (Imputer), or make the set without allowNonFinite to have each one named.");
        string clip = _settings.ClipGradientNorm > 0f ? string.Create(c, $"a smaller clipGradientNorm than {_settings.ClipGradientNorm:G4}") : "clipGradientNorm: 1f";
        return new InvalidOperationException(string.Create(c,
            $"{when}: the data is finite (checked before training), so the training diverged. " +
            $"Lower the learning rate (e.g. {rate / 10f:G4}), clip gradients ({clip}), or scale the features to a similar range."));
    }

    /// <summary>
    /// Parameters that became NaN or ±∞ while the loss stayed finite (a ReLU can hide NaN inputs from the loss) stop Fit at the
    /// end of the epoch: one vectorised pass over the host copy, which the devices bring up to date once per epoch anyway.
    /// </summary>
    private void CheckParameters(int epoch)
    {
        var parameters = _model.Parameters;
        if (NonFiniteValues.IndexOf(parameters) is not (int at and >= 0)) return;
        string cause = _settings.Train.AllowsNonFinite && _settings.Train.FirstNonFinite() is { } value
            ? $"the training set was made with allowNonFinite: true and holds non-finite values ({value}), which reached the gradients"
            : "the training diverged; lower the learning rate or clip gradients (clipGradientNorm)";
        string where = $"parameter {at} of {_model.GetType().Name}'s {parameters.Length}";
        foreach (var layer in _model.ParameterLayers)
            if (at >= layer.Offset && at < layer.Offset + layer.Count) where = $"parameter {at - layer.Offset} of layer '{layer.Name}' ({at} of {_model.GetType().Name}'s {parameters.Length})";
        throw new InvalidOperationException(
            $"After epoch {epoch}, {where} is {NonFiniteValues.Describe(parameters[at])}, though the loss stayed finite: {cause}.");
    }

    /// <summary>
    /// What the root decided after an epoch, for the other ranks: the validation figures, whether training stops (early
    /// stopping or a callback) and the best epoch. One broadcast of a few floats; every rank leaves the loop together.
    /// </summary>
    private readonly float[] _outcome = new float[6];

    private void ShareOutcome(Distributed.Mpi mpi, EpochResult result, TrainingHistory history)
    {
        _outcome[0] = result.ValidationLoss ?? float.NaN;
        _outcome[1] = result.ValidationAccuracy ?? float.NaN;
        _outcome[2] = history.StoppedEarly ? 1 : 0;
        _outcome[3] = history.StoppedByCallback ? 1 : 0;
        _outcome[4] = history.BestEpoch ?? -1;
        _outcome[5] = history.BestValue ?? float.NaN;
        mpi.Broadcast(_outcome);
    }

    /// <summary>A non-root rank's end of an epoch: the root's validation figures and stopping decision, received.</summary>
    private void FollowRoot(int epoch, float trainLoss, float trainAccuracy, float rate, Stopwatch clock, TrainingProgress progress)
    {
        _mpi!.Broadcast(_outcome);
        var history = progress.History;
        float? validationLoss = _settings.Validation is null ? null : _outcome[0];
        float? validationAccuracy = _settings.Validation is null ? null : _outcome[1];
        progress.Epoch = epoch;
        history.Add(new EpochResult(epoch, trainLoss, validationLoss, validationAccuracy, clock.Elapsed) { LearningRate = rate, TrainAccuracy = trainAccuracy });
        if (_outcome[4] >= 0)
        {
            history.BestEpoch = (int)_outcome[4];
            history.BestValue = _outcome[5];
        }
        if (_outcome[2] != 0 && !history.StoppedEarly) { history.StoppedEarly = true; history.StoppedEpoch = epoch; }
        if (_outcome[3] != 0 && !history.StoppedByCallback) { history.StoppedByCallback = true; history.StoppedEpoch = epoch; }
    }

    /// <summary>Gives every rank rank 0's parameters and BatchNorm state.</summary>
    private void ShareRootModel(Distributed.Mpi mpi)
    {
        mpi.Broadcast(_model.Parameters);
        mpi.Broadcast(_model.State);
    }

    /// <summary>The dropout seed of <paramref name="rank"/> in <paramref name="epoch"/>: a SplitMix64 mix, so nearby inputs give unrelated streams.</summary>
    internal static long RankDropoutSeed(int seed, int rank, int epoch)
    {
        ulong z = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL ^ ((ulong)(uint)rank << 32 | (uint)epoch);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (long)(z ^ (z >> 31));
    }

    /// <summary>
    /// A BatchNorm model under MPI: every rank's micro-batches (its block of each step, cut into batches) must hold 0 or at least
    /// 2 rows, for the full steps and the last, shorter one of an epoch.
    /// </summary>
    private void CheckRankBatchStatistics()
    {
        if (_model.BatchStatisticsLayerName is not { } layer) return;
        int rows = _settings.Train.Count, size = _mpi!.Size;
        int lastGroup = rows % _group == 0 ? _group : rows % _group;
        foreach (int group in new[] { _group, lastGroup })
            for (int rank = 0; rank < size; rank++)
            {
                var (start, end) = Distributed.DataParallelStep.Block(group, rank, size);
                int mine = end - start, last = mine % _batch == 0 ? Math.Min(mine, _batch) : mine % _batch;
                if (last == 1)
                    throw new ArgumentException(
                        $"{_model.GetType().Name}.{layer} is a BatchNorm layer and needs at least 2 rows per training batch, but with {size} ranks rank {rank} " +
                        $"gets a batch of 1 row from a step of {group} rows (each rank takes a block of ⌊{group}/{size}⌋ or ⌈{group}/{size}⌉ rows); " +
                        "choose a batch size (or rank count) that leaves every rank 0 or at least 2 rows.", "batchSize");
            }
    }

    private TrainingProgressReport Report(int epoch, int step, int steps, int rowsDone, double lossSum, float accuracy, TimeSpan elapsed, EpochResult? completed)
    {
        double seconds = Math.Max(elapsed.TotalSeconds, 1e-9);
        double perSecond = rowsDone / seconds;
        var remaining = TimeSpan.FromSeconds((_settings.Train.Count - rowsDone) / perSecond);
        return new TrainingProgressReport(epoch, _settings.Epochs, step, steps, (float)(lossSum / rowsDone), perSecond, remaining, completed)
        {
            RunningAccuracy = accuracy,
        };
    }

    /// <summary>
    /// The user's metrics on <paramref name="data"/> (the validation set, or with <paramref name="training"/> the training set),
    /// in the order given; null when none is computed there.
    /// </summary>
    private Dictionary<string, float>? UserMetrics(Dataset? data, bool training)
    {
        if (_settings.Metrics is not { Count: > 0 } metrics || data is null) return null;
        Dictionary<string, float>? values = null;
        float[]? outputs = null;
        foreach (var metric in metrics)
        {
            if (!(training ? metric.OnTrainingSet : metric.OnValidationSet)) continue;
            outputs ??= _model.PredictChecked(data);
            values ??= new Dictionary<string, float>(metrics.Count);
            values.Add(metric.Name, metric.Compute(outputs, data.Targets));
        }
        return values;
    }

    /// <summary>
    /// The learning rate of optimizer step <paramref name="step"/> (0-based, counted within this Fit): the schedule's rate
    /// from the base rate Fit started with, or without a schedule the optimizer's <see cref="Optimizer.LearningRate"/> as it is now.
    /// </summary>
    private float StepRate(long step)
    {
        if (_settings.Schedule is not { } schedule) return _optimizer.LearningRate;
        float rate = schedule.Rate(step, _baseRate);
        if (!(rate >= 0) || float.IsInfinity(rate))
            throw new InvalidOperationException($"The learning-rate schedule {schedule.GetType().Name} gave {rate} for step {step} (base rate {_baseRate}); a step's rate must be a finite number ≥ 0.");
        return rate;
    }
}
