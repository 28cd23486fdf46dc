using System;
using System.Globalization;
using System.Linq;
using System.Net.Http;
using System.Text;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using ModelGen.Data;
using Serving;
using TumourModel;
using Xunit;

namespace ModelGen.Deployment.Tests;

/// <summary>The service on an ephemeral loopback port with a trained model file, started once per test class.</summary>
public sealed class ServingFixture : IAsyncLifetime
{
    public const int MaxRows = 50;
    public const int MaxBodyBytes = 64 * 1024;
    public const int PoolSize = 4;
    public const int DriftWindowRows = 100;

    private WebApplication? _app;

    public TrainedModel Model { get; } = new();

    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _app = ServingHost.Build(["--model", Model.ModelPath, "--urls", "http://127.0.0.1:0",
            "--PoolSize", PoolSize.ToString(CultureInfo.InvariantCulture), "--MaxRows", MaxRows.ToString(CultureInfo.InvariantCulture),
            "--MaxBodyBytes", MaxBodyBytes.ToString(CultureInfo.InvariantCulture), "--Drift", Model.DriftPath,
            "--DriftWindow", DriftWindowRows.ToString(CultureInfo.InvariantCulture), "--Logging:LogLevel:Default", "Warning"]);
        await _app.StartAsync();
        Client = new HttpClient { BaseAddress = new Uri(_app.Urls.Single()) };
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        Model.Dispose();
    }

    /// <summary>Rows of the held-out table as a request body: arrays of values in input order (round-trip numbers; NaN as null).</summary>
    public static string ArrayBody(Table rows, params int[] indices)
    {
        var text = new StringBuilder("{\"rows\": [");
        for (int k = 0; k < indices.Length; k++)
        {
            if (k > 0) text.Append(", ");
            text.Append('[').AppendJoin(", ", TumourTraining.FeatureNames.Select(name => Number(rows[name][indices[k]]))).Append(']');
        }
        return text.Append("]}").ToString();
    }

    /// <summary>The same rows as objects of named values, the names in reverse order.</summary>
    public static string ObjectBody(Table rows, params int[] indices)
    {
        var text = new StringBuilder("{\"rows\": [");
        for (int k = 0; k < indices.Length; k++)
        {
            if (k > 0) text.Append(", ");
            text.Append('{').AppendJoin(", ", TumourTraining.FeatureNames.Reverse().Select(name => $"\"{name}\": {Number(rows[name][indices[k]])}")).Append('}');
        }
        return text.Append("]}").ToString();
    }

    private static string Number(double value) => double.IsNaN(value) ? "null" : value.ToString("R", CultureInfo.InvariantCulture);

    public static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
