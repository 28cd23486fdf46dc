using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO.Pipelines;
using System.Linq;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using ModelGen.Data;
using TumourModel;

namespace Serving;

/// <summary>
/// Sees every request's raw rows and predictions after they are served, e.g. to compare the live inputs with the training
/// data. Called on the request's thread, from many threads at once: implementations must be thread-safe and quick. An
/// observer's exception is logged and does not fail the request.
/// </summary>
public interface IPredictionObserver
{
    /// <summary>One request was served.</summary>
    /// <param name="rawRows">The rows as sent (before preprocessing), one column per input.</param>
    /// <param name="predictions">The classes and probabilities returned for them.</param>
    void Observe(Table rawRows, PredictionBatch predictions);
}

/// <summary>The handlers of <c>POST /predict</c> and <c>GET /health</c>; JSON is read and written with Utf8JsonReader/Utf8JsonWriter.</summary>
public sealed class PredictionEndpoint(ModelPool pool, ServingOptions options, IEnumerable<IPredictionObserver> observers, ILogger<PredictionEndpoint> logger)
{
    private readonly IPredictionObserver[] _observers = observers.ToArray();

    /// <summary>
    /// <c>GET /health</c>: 200 with the model's name, its input columns in row order, the class names and the limits. The model
    /// loaded at start-up (the service does not start otherwise), so answering at all means it is ready.
    /// </summary>
    public Task HealthAsync(HttpContext context)
    {
        var predictor = pool.Prototype;
        return WriteJsonAsync(context, StatusCodes.Status200OK, json =>
        {
            json.WriteStartObject();
            json.WriteString("status", "ok");
            json.WriteString("model", predictor.Model.GetType().Name);
            json.WriteStartArray("inputs");
            foreach (var input in predictor.Inputs)
            {
                json.WriteStartObject();
                json.WriteString("name", input.Name);
                json.WriteString("type", input.Type switch { ColumnType.Category => "category", ColumnType.Date => "date", _ => "number" });
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteStartArray("classes");
            foreach (string name in predictor.ClassNames) json.WriteStringValue(name);
            json.WriteEndArray();
            json.WriteNumber("poolSize", pool.Size);
            json.WriteNumber("maxRows", options.MaxRows);
            json.WriteNumber("maxBodyBytes", options.MaxBodyBytes);
            json.WriteEndObject();
        });
    }

    /// <summary>
    /// <c>POST /predict</c>: reads the rows (see <see cref="PredictionRequest"/>), predicts on a pooled model and answers
    /// <c>{"predictions": [{"class": name, "probabilities": {class: p, …}}, …]}</c> in row order; 400 with
    /// <c>{"error": message}</c> naming the field for a body it cannot serve.
    /// </summary>
    public async Task PredictAsync(HttpContext context)
    {
        Table<Unsplit> rows;
        PredictionBatch batch;
        try
        {
            byte[] body = await ReadBodyAsync(context.Request).ConfigureAwait(false);
            rows = PredictionRequest.Read(body, pool.Prototype.Inputs, options.MaxRows);
            using var lease = await pool.RentAsync(context.RequestAborted).ConfigureAwait(false);
            try
            {
                batch = lease.Predictor.Predict(rows);
            }
            catch (ArgumentException e)
            {
                // The preprocessing names the column and row it cannot make a feature from (e.g. a missing value it cannot fill).
                throw new BadRequestException("rows: " + e.Message);
            }
        }
        catch (BadRequestException e)
        {
            await WriteJsonAsync(context, StatusCodes.Status400BadRequest, json =>
            {
                json.WriteStartObject();
                json.WriteString("error", e.Message);
                json.WriteEndObject();
            }).ConfigureAwait(false);
            return;
        }
        Observe(rows, batch);
        await WriteJsonAsync(context, StatusCodes.Status200OK, json => WritePredictions(json, batch)).ConfigureAwait(false);
    }

    private static void WritePredictions(Utf8JsonWriter json, PredictionBatch batch)
    {
        json.WriteStartObject();
        json.WriteStartArray("predictions");
        for (int r = 0; r < batch.Count; r++)
        {
            json.WriteStartObject();
            json.WriteString("class", batch.ClassNames[batch.Classes[r]]);
            json.WriteStartObject("probabilities");
            var row = batch.Row(r);
            // Shortest round-trip text: parsing it gives the model's float32 bit for bit.
            for (int j = 0; j < row.Length; j++) json.WriteNumber(batch.ClassNames[j], row[j]);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>The whole body, or a 400 naming the limit when it is larger than <see cref="ServingOptions.MaxBodyBytes"/>.</summary>
    private async Task<byte[]> ReadBodyAsync(HttpRequest request)
    {
        long limit = options.MaxBodyBytes;
        if (request.ContentLength > limit) throw TooLarge(request.ContentLength.Value);
        PipeReader reader = request.BodyReader;
        while (true)
        {
            ReadResult result = await reader.ReadAsync(request.HttpContext.RequestAborted).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            if (buffer.Length > limit)
            {
                reader.AdvanceTo(buffer.End);
                throw TooLarge(null);
            }
            if (result.IsCompleted)
            {
                byte[] body = buffer.ToArray();
                reader.AdvanceTo(buffer.End);
                return body;
            }
            reader.AdvanceTo(buffer.Start, buffer.End);   // keep it all and wait for more
        }

        BadRequestException TooLarge(long? length) => new(
            $"body: the request body is {(length is { } n ? $"{n} bytes" : "larger than the limit")}; the limit is {limit} bytes (setting 'MaxBodyBytes'); send fewer rows per request.");
    }

    private void Observe(Table rows, PredictionBatch batch)
    {
        foreach (var observer in _observers)
        {
            try
            {
                observer.Observe(rows, batch);
            }
            catch (Exception e)
            {
                logger.LogError(e, "Prediction observer {Observer} failed; the request was served", observer.GetType().Name);
            }
        }
    }

    internal static async Task WriteJsonAsync(HttpContext context, int status, Action<Utf8JsonWriter> write)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        var buffer = new ArrayBufferWriter<byte>(1024);
        // Relaxed escaping keeps quotes and names readable in messages; the content type is JSON, never HTML.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping })) write(json);
        await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
    }
}
