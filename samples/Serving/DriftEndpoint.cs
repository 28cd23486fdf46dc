using System;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using ModelGen.Data;
using ModelGen.Monitoring;
using TumourModel;

namespace Serving;

/// <summary>
/// Watches the raw rows the service predicts: every served request's rows go into a sliding <see cref="DriftWindow"/>
/// of the training reference, and <c>GET /drift</c> compares the window with training. Rows with a missing value are
/// left out (the drift tests need every value); the count of such requests is in the response.
/// </summary>
public sealed class DriftEndpoint(DriftWindow window) : IPredictionObserver
{
    private long _requestsLeftOut;

    /// <summary>The window of live rows (thread-safe).</summary>
    public DriftWindow Window => window;

    /// <inheritdoc/>
    public void Observe(Table rawRows, PredictionBatch predictions)
    {
        try
        {
            window.Add(rawRows);
        }
        catch (ArgumentException)
        {
            // A missing measurement (the imputer fills it for the model) cannot enter the drift tests.
            Interlocked.Increment(ref _requestsLeftOut);
        }
    }

    /// <summary>
    /// <c>GET /drift</c>: 200 with the drift report of the rows in the window (per feature: test, statistic, p-value, PSI,
    /// whether it drifted), or 200 with <c>"windowRows": 0</c> and a message while no row has arrived.
    /// </summary>
    public Task DriftAsync(HttpContext context)
    {
        long leftOut = Interlocked.Read(ref _requestsLeftOut);
        if (window.Count == 0)
        {
            return PredictionEndpoint.WriteJsonAsync(context, StatusCodes.Status200OK, json =>
            {
                json.WriteStartObject();
                json.WriteNumber("windowRows", 0);
                json.WriteNumber("requestsLeftOut", leftOut);
                json.WriteString("message", "no complete rows have been predicted yet; the drift report needs live rows");
                json.WriteEndObject();
            });
        }
        var report = window.Check();
        return PredictionEndpoint.WriteJsonAsync(context, StatusCodes.Status200OK, json =>
        {
            json.WriteStartObject();
            json.WriteNumber("windowCapacity", window.Capacity);
            json.WriteNumber("rowsSeen", window.TotalAdded);
            json.WriteNumber("requestsLeftOut", leftOut);
            json.WritePropertyName("report");
            report.WriteTo(json);
            json.WriteEndObject();
        });
    }
}
