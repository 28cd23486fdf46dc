using System;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using ModelGen.Monitoring;
using Serving;
using TumourModel;
using Xunit;

namespace ModelGen.Deployment.Tests;

/// <summary>
/// <c>GET /drift</c> of samples/Serving: the rows the service predicted, compared with the training reference saved by
/// the training recipe, must give the report a DriftWindow of the same rows gives in this process.
/// </summary>
public class DriftServingTests(ServingFixture service) : IClassFixture<ServingFixture>
{
    private const string Shifted = "mean radius";

    /// <summary>The held-out rows as request bodies of at most <see cref="ServingFixture.MaxRows"/> rows, "mean radius" times <paramref name="radiusFactor"/>.</summary>
    private double[][] HeldOutRows(double radiusFactor)
    {
        var rows = service.Model.Trained.TestRows;
        return Enumerable.Range(0, rows.RowCount)
            .Select(r => TumourTraining.FeatureNames.Select(name => rows[name][r] * (name == Shifted ? radiusFactor : 1)).ToArray())
            .ToArray();
    }

    private async Task Predict(double[][] rows)
    {
        foreach (var chunk in rows.Chunk(ServingFixture.MaxRows))
        {
            var body = new StringBuilder("{\"rows\": [");
            body.AppendJoin(", ", chunk.Select(row => "[" + string.Join(", ", row.Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + "]"));
            using var response = await service.Client.PostAsync("/predict", ServingFixture.Json(body.Append("]}").ToString()));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    private async Task<JsonElement> Drift()
    {
        using var response = await service.Client.GetAsync("/drift");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    /// <summary>The in-process report of the last <see cref="ServingFixture.DriftWindowRows"/> of <paramref name="rows"/>.</summary>
    private DriftReport Expected(double[][] rows)
    {
        var window = service.Model.Trained.Drift.CreateWindow(ServingFixture.DriftWindowRows);
        foreach (var row in rows) window.Add(row);
        return window.Check();
    }

    private static void AssertSameReport(DriftReport expected, JsonElement report)
    {
        Assert.Equal(expected.WindowRows, report.GetProperty("windowRows").GetInt32());
        Assert.Equal(expected.HasDrift, report.GetProperty("hasDrift").GetBoolean());
        Assert.Equal(expected.Drifted.Select(f => f.Name), report.GetProperty("drifted").EnumerateArray().Select(e => e.GetString()));
        var features = report.GetProperty("features").EnumerateArray().ToArray();
        Assert.Equal(expected.Features.Count, features.Length);
        for (int j = 0; j < features.Length; j++)
        {
            Assert.Equal(expected.Features[j].Name, features[j].GetProperty("name").GetString());
            Assert.Equal(expected.Features[j].Statistic, features[j].GetProperty("statistic").GetDouble());
            Assert.Equal(expected.Features[j].PValue, features[j].GetProperty("pValue").GetDouble());
        }
    }

    [Fact]
    public async Task TheDriftReportFollowsThePredictedRows_AndFlagsAShiftedMeasurement()
    {
        var before = await Drift();
        Assert.Equal(0, before.GetProperty("windowRows").GetInt32());
        Assert.Contains("no complete rows", before.GetProperty("message").GetString());

        // The held-out rows come from the training distribution: the window's report equals the in-process one.
        var heldOut = HeldOutRows(1);
        await Predict(heldOut);
        var plain = await Drift();
        Assert.Equal(heldOut.Length, plain.GetProperty("rowsSeen").GetInt64());
        Assert.Equal(ServingFixture.DriftWindowRows, plain.GetProperty("windowCapacity").GetInt32());
        var plainExpected = Expected(heldOut);
        AssertSameReport(plainExpected, plain.GetProperty("report"));
        Assert.False(plainExpected[Shifted].IsDrifted, $"{Shifted} drifted on held-out rows: {plainExpected[Shifted]}");

        // Three times the radius: the window now holds only shifted rows, and the report says so.
        var shifted = HeldOutRows(3);
        await Predict(shifted);
        var drifted = await Drift();
        var shiftedExpected = Expected(shifted);
        AssertSameReport(shiftedExpected, drifted.GetProperty("report"));
        Assert.Contains(Shifted, drifted.GetProperty("report").GetProperty("drifted").EnumerateArray().Select(e => e.GetString()));
        Assert.True(shiftedExpected[Shifted].PValue < 1e-6, shiftedExpected[Shifted].ToString());
    }
}
