using System;
using System.IO;
using TumourModel;

namespace ModelGen.Deployment.Tests;

/// <summary>The tumour model trained once per test class, saved with its preprocessing, and its held-out rows as CSV.</summary>
public sealed class TrainedModel : IDisposable
{
    public TrainedModel()
    {
        Folder = Directory.CreateTempSubdirectory("modelgen-deploy-").FullName;
        Trained = TumourTraining.Train(TumourTraining.DefaultDataPath);
        ModelPath = Path.Combine(Folder, "tumour.safetensors");
        Trained.Model.Save(ModelPath, Trained.Preprocessing);
        DriftPath = Path.Combine(Folder, "drift-reference.json");
        Trained.Drift.Save(DriftPath);
        RowsPath = Path.Combine(Folder, "test-rows.csv");
        TumourTraining.WriteCsv(Trained.TestRows, RowsPath);
    }

    public string Folder { get; }

    public TrainedTumourModel Trained { get; }

    public string ModelPath { get; }

    public string RowsPath { get; }

    public string DriftPath { get; }

    public Predictor LoadPredictor() => Predictor.Load(ModelPath, () => new TumourNet());

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}
