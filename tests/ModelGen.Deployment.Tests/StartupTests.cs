using System;
using System.IO;
using System.Threading.Tasks;
using Serving;
using TumourModel;
using Xunit;

namespace ModelGen.Deployment.Tests;

/// <summary>The service refuses to start, with one clear line, when its model file or settings are not usable.</summary>
public class StartupTests(TrainedModel model) : IClassFixture<TrainedModel>
{
    private static string StartupError(params string[] args) =>
        Assert.Throws<StartupException>(() => ServingHost.Build([.. args, "--Logging:LogLevel:Default", "None"])).Message;

    [Fact]
    public void AMissingModelFileStopsTheStart()
    {
        string missing = Path.Combine(model.Folder, "nowhere.safetensors");
        Assert.Equal($"model file '{missing}' does not exist (write one with model.Save(path, preprocessing: document); samples/Predict has a 'train' verb that does).",
            StartupError("--model", missing));
        Assert.Equal("no model file given; start the service with --model path/to/model.safetensors (or set the configuration key 'Model').", StartupError());
    }

    [Fact]
    public void ACorruptModelFileStopsTheStartNamingTheFile()
    {
        byte[] good = File.ReadAllBytes(model.ModelPath);
        string truncated = Path.Combine(model.Folder, "truncated.safetensors");
        File.WriteAllBytes(truncated, good[..(good.Length / 2)]);
        Assert.StartsWith($"'{truncated}': ", StartupError("--model", truncated));

        string garbage = Path.Combine(model.Folder, "garbage.safetensors");
        File.WriteAllText(garbage, "this is not a model file");
        Assert.StartsWith($"'{garbage}': ", StartupError("--model", garbage));
    }

    [Fact]
    public void AModelFileWithoutItsPreprocessingStopsTheStart()
    {
        string bare = Path.Combine(model.Folder, "bare.safetensors");
        model.Trained.Model.Save(bare);
        Assert.Equal($"model file '{bare}' holds no preprocessing document; save the model with model.Save(path, preprocessing: document) or give the document's file as well.",
            StartupError("--model", bare));

        // The document may come from a file of its own instead.
        string document = Path.Combine(model.Folder, "recipe.json");
        model.Trained.Preprocessing.Save(document);
        using var app = ServingHost.Build(["--model", bare, "--Preprocessing", document, "--Logging:LogLevel:Default", "None"]);
        Assert.NotNull(app);
    }

    [Fact]
    public void AModelFileOfAnotherArchitectureStopsTheStart()
    {
        string foreign = Path.Combine(model.Folder, "logistic.safetensors");
        new LogisticTumourModel(seed: 1).Save(foreign, model.Trained.Preprocessing);
        string message = StartupError("--model", foreign);
        Assert.StartsWith($"'{foreign}': ", message);
        Assert.Contains("LogisticTumourModel", message);
    }

    [Fact]
    public void SettingsOutOfRangeStopTheStart()
    {
        Assert.Equal("setting 'PoolSize' is '0'; expected a whole number from 1 to 1024.", StartupError("--model", model.ModelPath, "--PoolSize", "0"));
        Assert.Equal("setting 'MaxRows' is 'many'; expected a whole number from 1 to 1000000.", StartupError("--model", model.ModelPath, "--MaxRows", "many"));
    }

    [Fact]
    public async Task TheServiceProcessExitsWithOneLineAndNoStackTrace()
    {
        string serving = Path.Combine(AppContext.BaseDirectory, "Serving.dll");
        Assert.True(File.Exists(serving), $"{serving} is not beside the tests");
        string missing = Path.Combine(model.Folder, "absent.safetensors");
        var (exitCode, output, error) = await Processes.RunAsync(Processes.DotnetHost, $"\"{serving}\" --model \"{missing}\"", TimeSpan.FromSeconds(60));
        Assert.Equal(1, exitCode);
        Assert.Equal($"error: the prediction service cannot start: model file '{missing}' does not exist (write one with model.Save(path, preprocessing: document); samples/Predict has a 'train' verb that does).",
            error.Trim());
        Assert.DoesNotContain("   at ", output + error);

        string corrupt = Path.Combine(model.Folder, "corrupt.safetensors");
        File.WriteAllBytes(corrupt, [1, 2, 3]);
        (exitCode, output, error) = await Processes.RunAsync(Processes.DotnetHost, $"\"{serving}\" --model \"{corrupt}\"", TimeSpan.FromSeconds(60));
        Assert.Equal(1, exitCode);
        Assert.StartsWith($"error: the prediction service cannot start: '{corrupt}': ", error.Trim());
        Assert.DoesNotContain("   at ", output + error);
        Assert.DoesNotContain("\n", error.Trim());
    }

    [Fact]
    public void AnUnreadableDriftReferenceStopsTheStartNamingTheFile()
    {
        string missing = Path.Combine(model.Folder, "no-drift.json");
        Assert.StartsWith($"the drift reference '{missing}' cannot be read: ", StartupError("--model", model.ModelPath, "--Drift", missing));
        string garbage = Path.Combine(model.Folder, "garbage-drift.json");
        File.WriteAllText(garbage, "{\"not\": \"a drift reference\"}");
        Assert.StartsWith($"the drift reference '{garbage}' cannot be read: ", StartupError("--model", model.ModelPath, "--Drift", garbage));
    }

    [Fact]
    public async Task WithoutADriftReference_GetDriftIsA404SayingHowToTurnItOn()
    {
        await using var app = ServingHost.Build(["--model", model.ModelPath, "--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default", "None"]);
        await app.StartAsync();
        using var client = new System.Net.Http.HttpClient { BaseAddress = new Uri(System.Linq.Enumerable.Single(app.Urls)) };
        using var response = await client.GetAsync("/drift");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("--Drift", await response.Content.ReadAsStringAsync());
        await app.StopAsync();
    }
}

/// <summary>Logistic regression on the same 30 features: a model file the service (which serves TumourNet) must refuse.</summary>
[Model(Input = new[] { 30 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class LogisticTumourModel
{
    [Dense(2)] private partial Tensor Logits(Tensor x);
}
