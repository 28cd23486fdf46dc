using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using ModelGen.Data;
using Serving;
using TumourModel;
using Xunit;

namespace ModelGen.Deployment.Tests;

/// <summary>The seam for watching live inputs: observers registered through ServingHost.Build see every served request.</summary>
public class ObserverTests(TrainedModel model) : IClassFixture<TrainedModel>
{
    private sealed class Recorder : IPredictionObserver
    {
        public ConcurrentQueue<(Table Rows, PredictionBatch Predictions)> Seen { get; } = new();

        public void Observe(Table rawRows, PredictionBatch predictions) => Seen.Enqueue((rawRows, predictions));
    }

    private sealed class Failing : IPredictionObserver
    {
        public void Observe(Table rawRows, PredictionBatch predictions) => throw new InvalidOperationException("observer failed");
    }

    [Fact]
    public async Task ObserversSeeTheRawRowsAndPredictionsOfServedRequestsOnly()
    {
        var recorder = new Recorder();
        await using var app = ServingHost.Build(["--model", model.ModelPath, "--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default", "None"],
            builder => builder.Services.AddSingleton<IPredictionObserver>(new Failing()).AddSingleton<IPredictionObserver>(recorder));
        await app.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };
        var rows = model.Trained.TestRows;
        using var served = await client.PostAsync("/predict", ServingFixture.Json(ServingFixture.ArrayBody(rows, 4, 9)));
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);   // the failing observer does not fail the request
        using var refused = await client.PostAsync("/predict", ServingFixture.Json("{\"rows\": []}"));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);

        var (seenRows, seenPredictions) = Assert.Single(recorder.Seen);
        Assert.Equal(2, seenRows.RowCount);
        foreach (string name in TumourTraining.FeatureNames)
            Assert.Equal([rows[name][4], rows[name][9]], seenRows[name].Values.ToArray());
        var expected = model.LoadPredictor().Predict(rows.Rows(4, 9));
        Assert.Equal(expected.Probabilities, seenPredictions.Probabilities);
        await app.StopAsync();
    }
}
