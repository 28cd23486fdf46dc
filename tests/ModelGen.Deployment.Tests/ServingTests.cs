using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using ModelGen.Data;
using TumourModel;
using Xunit;

namespace ModelGen.Deployment.Tests;

/// <summary>samples/Serving over HTTP on loopback: answers, refusals of bad bodies, and concurrent requests.</summary>
public class ServingTests(ServingFixture service) : IClassFixture<ServingFixture>
{
    private Table<Test> Rows => service.Model.Trained.TestRows;

    private static async Task<(HttpStatusCode Status, JsonElement Json)> Send(HttpClient client, HttpContent content)
    {
        using var response = await client.PostAsync("/predict", content);
        string text = await response.Content.ReadAsStringAsync();
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.ToString());
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>The answer's classes and probabilities equal the in-process prediction bit for bit.</summary>
    private static void AssertSame(PredictionBatch expected, JsonElement answer)
    {
        var predictions = answer.GetProperty("predictions").EnumerateArray().ToArray();
        Assert.Equal(expected.Count, predictions.Length);
        for (int r = 0; r < expected.Count; r++)
        {
            Assert.Equal(expected.ClassNames[expected.Classes[r]], predictions[r].GetProperty("class").GetString());
            var probabilities = predictions[r].GetProperty("probabilities");
            Assert.Equal(expected.ClassNames, probabilities.EnumerateObject().Select(p => p.Name).ToArray());
            for (int j = 0; j < expected.ClassNames.Count; j++)
                Assert.Equal(expected.Row(r)[j], probabilities.GetProperty(expected.ClassNames[j]).GetSingle());
        }
    }

    [Fact]
    public async Task HealthListsTheInputsInRowOrderAndTheClasses()
    {
        using var response = await service.Client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("ok", json.GetProperty("status").GetString());
        Assert.Equal("TumourNet", json.GetProperty("model").GetString());
        Assert.Equal(TumourTraining.FeatureNames, json.GetProperty("inputs").EnumerateArray().Select(i => i.GetProperty("name").GetString()!).ToArray());
        Assert.All(json.GetProperty("inputs").EnumerateArray(), i => Assert.Equal("number", i.GetProperty("type").GetString()));
        Assert.Equal(["malignant", "benign"], json.GetProperty("classes").EnumerateArray().Select(c => c.GetString()!).ToArray());
        Assert.Equal(ServingFixture.PoolSize, json.GetProperty("poolSize").GetInt32());
    }

    [Fact]
    public async Task PredictionsOfRawRowsEqualThePredictorsInThisProcess()
    {
        int[] rows = Enumerable.Range(0, 20).ToArray();
        var (status, json) = await Send(service.Client, ServingFixture.Json(ServingFixture.ArrayBody(Rows, rows)));
        Assert.Equal(HttpStatusCode.OK, status);
        var expected = service.Model.LoadPredictor().Predict(Rows.Rows(rows));
        AssertSame(expected, json);
        // The model is a real classifier of these rows: most held-out rows get their own label.
        var labels = Rows[TumourTraining.LabelName];
        int right = rows.Count(r => expected.ClassNames[expected.Classes[r]] == labels.Level(r));
        Assert.True(right >= 18, $"only {right} of 20 held-out rows classified right");
    }

    [Fact]
    public async Task RowsAsNamedObjectsGiveTheSameAnswerAsArrays()
    {
        var (_, fromArrays) = await Send(service.Client, ServingFixture.Json(ServingFixture.ArrayBody(Rows, 3, 4, 5)));
        var (status, fromObjects) = await Send(service.Client, ServingFixture.Json(ServingFixture.ObjectBody(Rows, 3, 4, 5)));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(fromArrays.ToString(), fromObjects.ToString());
    }

    [Fact]
    public async Task AMissingValueIsFilledByTheSavedImputer()
    {
        string body = ServingFixture.ArrayBody(Rows, 0);
        var values = body["{\"rows\": [[".Length..^"]]}".Length].Split(", ");
        values[2] = "null";
        var (status, json) = await Send(service.Client, ServingFixture.Json("{\"rows\": [[" + string.Join(", ", values) + "]]}"));
        Assert.Equal(HttpStatusCode.OK, status);
        var raw = Rows.Rows(0);
        var perimeter = raw["mean perimeter"].Values.ToArray();
        perimeter[0] = double.NaN;
        var expected = service.Model.LoadPredictor().Predict(raw.WithColumn(TableColumn.Numbers("mean perimeter", perimeter)));
        AssertSame(expected, json);
    }

    public static TheoryData<string, string> BadBodies()
    {
        string row = string.Join(", ", Enumerable.Range(1, 30).Select(i => i.ToString()));
        string row29 = string.Join(", ", Enumerable.Range(1, 29).Select(i => i.ToString()));
        string WithValue(int index, string value) => string.Join(", ", Enumerable.Range(1, 30).Select(i => i == index + 1 ? value : i.ToString()));
        return new()
        {
            { "", "body: the request body is empty; expected {\"rows\": " },
            { "  \n", "body: the request body is empty" },
            { "{\"rows\": [[" + row + "], [" + row29 + "]]}", "rows[1]: expected 30 values (one per input column, in the order GET /health lists), found 29." },
            { "{\"rows\": [[" + row + ", 31]]}", "rows[0]: expected 30 values (one per input column, in the order GET /health lists), found 31." },
            { "{\"rows\": [[" + WithValue(3, "\"large\"") + "]]}", "rows[0][3] ('mean area'): expected a number, found the string \"large\"." },
            { "{\"rows\": [[" + WithValue(7, "true") + "]]}", "rows[0][7] ('mean concave points'): expected a number, found true." },
            { "{\"rows\": [[" + row + "], [" + WithValue(29, "1e400") + "]]}", "rows[1][29] ('worst fractal dimension'): expected a finite number, found the number 1e400." },
            { "{\"rows\": [[" + WithValue(0, "\"NaN\"") + "]]}", "rows[0][0] ('mean radius'): expected a number, found the string \"NaN\"." },
            { "{\"rows\": [[" + WithValue(0, "[1]") + "]]}", "rows[0][0] ('mean radius'): expected a number, found an array." },
            { "{\"rows\": [{\"mean radius\": 1}]}", "rows[0]: no value for 'mean texture' and 28 other input column(s); every input column needs a value (null for missing)." },
            { "{\"rows\": [{\"radius\": 1}]}", "rows[0]['radius']: not an input column; the inputs are 'mean radius', 'mean texture'" },
            { "{\"rows\": [{\"mean radius\": 1, \"mean radius\": 2}]}", "rows[0]['mean radius']: the column appears twice." },
            { "{\"rows\": [{\"mean radius\": \"x\"}]}", "rows[0]['mean radius']: expected a number, found the string \"x\"." },
            { "{\"rows\": []}", "rows: the array is empty; send at least one row of 30 values." },
            { "{\"rows\": [7]}", "rows[0]: expected an array of 30 values or an object of named values, found the number 7." },
            { "{\"rows\": {}}", "rows: expected an array of rows, found an object." },
            { "{\"data\": []}", "body: unknown field 'data'; the body has one field, \"rows\"." },
            { "{}", "rows: no such field; expected {\"rows\": " },
            { "[[1, 2]]", "body: expected {\"rows\": [[value, …], …]} or {\"rows\": [{\"column\": value, …}, …]}, found an array." },
            { "{\"rows\": [[" + row + "]", "body: not well-formed JSON: " },
            { "rows=1,2,3", "body: not well-formed JSON: " },
            { "{\"rows\": [[" + row + "]]} {}", "body: " },
        };
    }

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task ABadBodyIsA400NamingTheField(string body, string message)
    {
        var (status, json) = await Send(service.Client, ServingFixture.Json(body));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith(message, json.GetProperty("error").GetString());
    }

    [Fact]
    public async Task TooManyRowsAreA400()
    {
        var (status, json) = await Send(service.Client, ServingFixture.Json(ServingFixture.ArrayBody(Rows, Enumerable.Range(0, ServingFixture.MaxRows + 1).ToArray())));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal($"rows: more than {ServingFixture.MaxRows} rows; send at most {ServingFixture.MaxRows} per request.", json.GetProperty("error").GetString());
        var (fits, _) = await Send(service.Client, ServingFixture.Json(ServingFixture.ArrayBody(Rows, Enumerable.Range(0, ServingFixture.MaxRows).ToArray())));
        Assert.Equal(HttpStatusCode.OK, fits);
    }

    [Fact]
    public async Task AnOversizedBodyIsA400WithOrWithoutAContentLength()
    {
        string huge = "{\"rows\": [" + new string(' ', ServingFixture.MaxBodyBytes) + "]}";
        var (status, json) = await Send(service.Client, ServingFixture.Json(huge));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal($"body: the request body is {Encoding.UTF8.GetByteCount(huge)} bytes; the limit is {ServingFixture.MaxBodyBytes} bytes (setting 'MaxBodyBytes'); send fewer rows per request.",
            json.GetProperty("error").GetString());

        // Chunked: no Content-Length, so the limit is found while reading.
        var chunked = new PushStreamContent(Encoding.UTF8.GetBytes(huge));
        var (chunkedStatus, chunkedJson) = await Send(service.Client, chunked);
        Assert.Equal(HttpStatusCode.BadRequest, chunkedStatus);
        Assert.StartsWith("body: the request body is larger than the limit; the limit is 65536 bytes", chunkedJson.GetProperty("error").GetString());
    }

    [Fact]
    public async Task ConcurrentRequestsGetTheAnswersOfSequentialPrediction()
    {
        // 32 clients, 640 requests of 1–12 rows each (seeded), every answer checked against one predictor run in turn.
        var random = new Random(7);
        var requests = Enumerable.Range(0, 640)
            .Select(_ => Enumerable.Range(0, random.Next(1, 13)).Select(_ => random.Next(Rows.RowCount)).ToArray()).ToArray();
        var sequential = service.Model.LoadPredictor();
        var expected = requests.Select(rows => sequential.Predict(Rows.Rows(rows))).ToArray();
        var answers = new JsonElement[requests.Length];
        int next = -1;
        await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => Task.Run(async () =>
        {
            for (int i; (i = System.Threading.Interlocked.Increment(ref next)) < requests.Length;)
            {
                var (status, json) = await Send(service.Client, ServingFixture.Json(ServingFixture.ArrayBody(Rows, requests[i])));
                Assert.Equal(HttpStatusCode.OK, status);
                answers[i] = json;
            }
        })));
        for (int i = 0; i < requests.Length; i++) AssertSame(expected[i], answers[i]);
    }

    /// <summary>A body sent without a Content-Length (chunked transfer encoding).</summary>
    private sealed class PushStreamContent(byte[] bytes) : HttpContent
    {
        protected override Task SerializeToStreamAsync(System.IO.Stream stream, System.Net.TransportContext? context) => stream.WriteAsync(bytes).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
