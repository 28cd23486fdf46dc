using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using ModelGen.Data;
using Serving;
using TumourModel;

// A bounded load test of the prediction service on loopback: N requests from C concurrent clients, each answer checked
// against the prediction made in this process, stopping at a time limit. Prints one JSON line and exits 1 unless every
// request was answered correctly.
//   dotnet run -c Release --project samples/ServingLoadTest -- [--requests 20000] [--clients 32] [--rows 1] [--time-limit 120]
//       [--model FILE] [--pool N] [--url http://127.0.0.1:PORT (a service already running; loopback only)]

int requests = IntOption("--requests", 20_000), clients = IntOption("--clients", 32), rowsPerRequest = IntOption("--rows", 1);
int timeLimitSeconds = IntOption("--time-limit", 120), pool = IntOption("--pool", Environment.ProcessorCount);
string? modelPath = Option("--model"), url = Option("--url");
if (requests < 1 || clients < 1 || rowsPerRequest < 1 || timeLimitSeconds < 1 || pool < 1)
    return Fail("--requests, --clients, --rows, --time-limit and --pool take whole numbers of 1 or more");
if (url is not null && !IsLoopback(url)) return Fail($"--url {url} is not a loopback address; this load test only targets this machine");

string? temporary = null;
if (modelPath is null)
{
    if (url is not null) return Fail("--url needs --model: the file the service runs, to check its answers");
    temporary = Directory.CreateTempSubdirectory("serving-load-").FullName;
    modelPath = Path.Combine(temporary, "tumour.safetensors");
    var trained = TumourTraining.Train(TumourTraining.DefaultDataPath);
    trained.Model.Save(modelPath, trained.Preprocessing);
}

// The rows to send: the data set's rows, raw, in file order; each request takes the next `rowsPerRequest` of them.
var predictor = Predictor.Load(modelPath, () => new TumourNet());
var all = Datasets.LoadLabeledTable(TumourTraining.DefaultDataPath, TumourTraining.FeatureNames, TumourTraining.LabelName);
const int Distinct = 256;   // distinct bodies, reused round-robin
var bodies = new byte[Distinct][];
var expected = new PredictionBatch[Distinct];
for (int b = 0; b < Distinct; b++)
{
    var indices = Enumerable.Range(0, rowsPerRequest).Select(k => (b * rowsPerRequest + k) % all.RowCount).ToArray();
    var rows = all.Rows(indices);
    bodies[b] = Body(rows, predictor);
    expected[b] = predictor.Predict(rows);
}

WebApplication? app = null;
if (url is null)
{
    app = ServingHost.Build(["--model", modelPath, "--urls", "http://127.0.0.1:0", "--PoolSize", pool.ToString(CultureInfo.InvariantCulture),
        "--Logging:LogLevel:Default", "Warning"]);
    await app.StartAsync();
    url = app.Urls.First();
}

using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients, UseProxy = false })
{
    BaseAddress = new Uri(url),
    Timeout = TimeSpan.FromSeconds(30),
};
var latencies = new double[requests];
Array.Fill(latencies, double.NaN);
int next = -1, completed = 0, errors = 0, lost = 0;
string? firstProblem = null;
var deadline = Stopwatch.GetTimestamp() + (long)(timeLimitSeconds * (double)Stopwatch.Frequency);
var clock = Stopwatch.StartNew();
await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(Client)));
clock.Stop();
if (app is not null) await app.StopAsync();
if (temporary is not null) Directory.Delete(temporary, recursive: true);

int unsent = requests - Math.Min(requests, next + 1);
var answered = latencies.Where(double.IsFinite).Order().ToArray();
double Percentile(double p) => answered.Length == 0 ? double.NaN : answered[Math.Min(answered.Length - 1, (int)Math.Ceiling(p * answered.Length) - 1)];
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{{\"benchmark\": \"serving\", \"model\": \"tumour-mlp\", \"requests\": {requests}, \"clients\": {clients}, \"rows_per_request\": {rowsPerRequest}, \"pool\": {pool}, " +
    $"\"threads\": {Environment.ProcessorCount}, \"completed\": {completed}, \"errors\": {errors}, \"lost\": {lost}, \"unsent\": {unsent}, \"seconds\": {clock.Elapsed.TotalSeconds:F2}, " +
    $"\"requests_per_s\": {completed / clock.Elapsed.TotalSeconds:F0}, \"p50_ms\": {Percentile(0.50):F3}, \"p99_ms\": {Percentile(0.99):F3}, \"max_ms\": {Percentile(1.0):F3}}}"));
if (firstProblem is not null) Console.Error.WriteLine("first problem: " + firstProblem);
if (unsent > 0) Console.Error.WriteLine($"the time limit of {timeLimitSeconds} s stopped the test with {unsent} requests unsent");
return completed == requests && errors == 0 && lost == 0 ? 0 : 1;

async Task Client()
{
    while (true)
    {
        int i = Interlocked.Increment(ref next);
        if (i >= requests || Stopwatch.GetTimestamp() > deadline) return;
        int b = i % Distinct;
        long start = Stopwatch.GetTimestamp();
        string? problem;
        try
        {
            using var content = new ByteArrayContent(bodies[b]);
            content.Headers.ContentType = new("application/json");
            using var response = await http.PostAsync("/predict", content);
            byte[] answer = await response.Content.ReadAsByteArrayAsync();
            latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            problem = response.StatusCode != HttpStatusCode.OK
                ? $"request {i}: status {(int)response.StatusCode}: {Encoding.UTF8.GetString(answer)}"
                : Check(answer, expected[b], i);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            Interlocked.Increment(ref lost);
            Interlocked.CompareExchange(ref firstProblem, $"request {i}: no answer: {e.Message}", null);
            continue;
        }
        if (problem is null) Interlocked.Increment(ref completed);
        else
        {
            Interlocked.Increment(ref errors);
            Interlocked.CompareExchange(ref firstProblem, problem, null);
        }
    }
}

// The answer must hold one prediction per row sent, each the class and probabilities predicted here, bit for bit.
static string? Check(byte[] answer, PredictionBatch expected, int request)
{
    using var document = JsonDocument.Parse(answer);
    var predictions = document.RootElement.GetProperty("predictions");
    if (predictions.GetArrayLength() != expected.Count) return $"request {request}: {predictions.GetArrayLength()} predictions for {expected.Count} rows";
    int r = 0;
    foreach (var prediction in predictions.EnumerateArray())
    {
        if (prediction.GetProperty("class").GetString() != expected.ClassNames[expected.Classes[r]]) return $"request {request}, row {r}: another class";
        var probabilities = prediction.GetProperty("probabilities");
        for (int j = 0; j < expected.ClassNames.Count; j++)
            if (probabilities.GetProperty(expected.ClassNames[j]).GetSingle() != expected.Row(r)[j]) return $"request {request}, row {r}: another probability of '{expected.ClassNames[j]}'";
        r++;
    }
    return null;
}

static byte[] Body(Table rows, Predictor predictor)
{
    using var stream = new MemoryStream();
    using (var json = new Utf8JsonWriter(stream))
    {
        json.WriteStartObject();
        json.WriteStartArray("rows");
        for (int r = 0; r < rows.RowCount; r++)
        {
            json.WriteStartArray();
            foreach (var input in predictor.Inputs) json.WriteNumberValue(rows[input.Name][r]);
            json.WriteEndArray();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }
    return stream.ToArray();
}

static bool IsLoopback(string address) =>
    Uri.TryCreate(address, UriKind.Absolute, out var uri) && (uri.IsLoopback || IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

string? Option(string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

int IntOption(string name, int fallback)
{
    if (Option(name) is not { } text) return fallback;
    // 0 is refused with the other out-of-range values above.
    return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) ? value : 0;
}

static int Fail(string message)
{
    Console.Error.WriteLine("error: " + message);
    return 2;
}
