using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ModelGen.Monitoring;
using ModelGen.Serialization;
using TumourModel;

namespace Serving;

/// <summary>Why the service cannot start: a missing or damaged model file, or a setting out of range. The message says which.</summary>
public sealed class StartupException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The service's settings, read from the configuration (command line <c>--model path</c>, environment, appsettings.json).</summary>
/// <param name="ModelPath">Configuration key <c>Model</c>: the model file (required).</param>
/// <param name="PreprocessingPath">Key <c>Preprocessing</c>: a preprocessing document to use instead of the one in the model file.</param>
/// <param name="PoolSize">Key <c>PoolSize</c>: how many requests predict at once (the processor count by default).</param>
/// <param name="MaxBodyBytes">Key <c>MaxBodyBytes</c>: the largest request body accepted (1 MiB by default).</param>
/// <param name="MaxRows">Key <c>MaxRows</c>: the most rows one request may hold (1,000 by default).</param>
/// <param name="DriftPath">Key <c>Drift</c>: a drift reference written by <c>DriftMonitor.Save</c>; turns on <c>GET /drift</c>.</param>
/// <param name="DriftWindowRows">Key <c>DriftWindow</c>: how many of the latest live rows <c>GET /drift</c> compares with training (1,000 by default).</param>
public sealed record ServingOptions(string ModelPath, string? PreprocessingPath, int PoolSize, int MaxBodyBytes, int MaxRows, string? DriftPath, int DriftWindowRows)
{
    /// <summary>Reads and checks the settings.</summary>
    /// <exception cref="StartupException">The model path is missing or a number is out of range.</exception>
    public static ServingOptions From(IConfiguration configuration)
    {
        string? model = configuration["Model"];
        if (string.IsNullOrWhiteSpace(model))
            throw new StartupException("no model file given; start the service with --model path/to/model.safetensors (or set the configuration key 'Model').");
        return new ServingOptions(model, configuration["Preprocessing"],
            Number(configuration, "PoolSize", Environment.ProcessorCount, 1, 1024),
            Number(configuration, "MaxBodyBytes", 1 << 20, 2, int.MaxValue / 2),
            Number(configuration, "MaxRows", 1000, 1, 1_000_000),
            configuration["Drift"],
            Number(configuration, "DriftWindow", 1000, 1, 10_000_000));
    }

    private static int Number(IConfiguration configuration, string key, int fallback, int min, int max)
    {
        string? text = configuration[key];
        if (text is null) return fallback;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
            throw new StartupException($"setting '{key}' is '{text}'; expected a whole number from {min} to {max}.");
        return value;
    }
}

/// <summary>
/// Builds and runs the prediction service: <c>POST /predict</c> (raw rows in, classes and probabilities out),
/// <c>GET /health</c>. The model file and its preprocessing load before the service listens; if they cannot, it does
/// not start.
/// </summary>
public static class ServingHost
{
    /// <summary>Runs the service until it is stopped; returns the process exit code (1 when it cannot start).</summary>
    /// <param name="args">Command-line configuration, e.g. <c>--model m.safetensors --urls http://127.0.0.1:5080</c>.</param>
    public static async Task<int> RunAsync(string[] args)
    {
        WebApplication app;
        try
        {
            app = Build(args);
        }
        catch (StartupException e)
        {
            // A clear line for the operator; the stack would only hide it.
            Console.Error.WriteLine("error: the prediction service cannot start: " + e.Message);
            return 1;
        }
        try
        {
            await app.RunAsync().ConfigureAwait(false);
            return 0;
        }
        catch (IOException e)
        {
            Console.Error.WriteLine("error: the prediction service cannot listen: " + e.Message);
            return 1;
        }
        finally
        {
            await app.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Loads the model and its preprocessing and builds the application (not yet started). Other parts of a service plug in
    /// through <paramref name="configure"/>: e.g. register an <see cref="IPredictionObserver"/> that watches the inputs, then
    /// map an endpoint of its own (such as <c>GET /drift</c>) on the returned application before starting it.
    /// </summary>
    /// <param name="args">Command-line configuration (see <see cref="ServingOptions"/>; <c>--urls</c> sets the addresses).</param>
    /// <param name="configure">Adds services before the application is built.</param>
    /// <exception cref="StartupException">The model file is missing, damaged, of another model, or lacks its preprocessing; or a setting is out of range.</exception>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        // appsettings.json is read from beside the program, wherever it is started from; file paths stay relative to the working folder.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        var options = ServingOptions.From(builder.Configuration);
        Predictor predictor;
        try
        {
            predictor = Predictor.Load(options.ModelPath, () => new TumourNet(), options.PreprocessingPath);
        }
        catch (PredictorLoadException e)
        {
            throw new StartupException(e.Message, e);
        }
        // The service reads bodies itself up to MaxBodyBytes; Kestrel's own limit only has to be above that.
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = options.MaxBodyBytes + 65536L);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(new ModelPool(predictor, options.PoolSize));
        builder.Services.AddSingleton<PredictionEndpoint>();
        DriftEndpoint? drift = options.DriftPath is null ? null : new DriftEndpoint(LoadDrift(options.DriftPath).CreateWindow(options.DriftWindowRows));
        if (drift is not null) builder.Services.AddSingleton<IPredictionObserver>(drift);
        configure?.Invoke(builder);
        var app = builder.Build();
        app.MapGet("/health", (HttpContext context, PredictionEndpoint endpoint) => endpoint.HealthAsync(context));
        app.MapPost("/predict", (HttpContext context, PredictionEndpoint endpoint) => endpoint.PredictAsync(context));
        if (drift is not null) app.MapGet("/drift", drift.DriftAsync);
        else app.MapGet("/drift", (HttpContext context) => PredictionEndpoint.WriteJsonAsync(context, StatusCodes.Status404NotFound, json =>
        {
            json.WriteStartObject();
            json.WriteString("error", "drift monitoring is off: start the service with --Drift path/to/drift-reference.json (written by DriftMonitor.Save)");
            json.WriteEndObject();
        }));
        app.Logger.LogInformation("Serving {Model} from {File} with {Pool} model instance(s); {Inputs} input columns; classes {Classes}",
            predictor.Model.GetType().Name, options.ModelPath, options.PoolSize, predictor.Inputs.Count, string.Join(", ", predictor.ClassNames));
        return app;
    }

    private static DriftMonitor LoadDrift(string path)
    {
        try
        {
            return DriftMonitor.Load(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ModelFileException)
        {
            throw new StartupException($"the drift reference '{path}' cannot be read: {e.Message}", e);
        }
    }
}
