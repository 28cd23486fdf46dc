using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Text;
using ModelGen;
using ModelGen.Data;
using ModelGen.Serialization;
using TumourModel;

// Deploys the breast-cancer classifier of samples/TumourModel:
//   train   [--data breast_cancer.csv] [--out DIR] [--seed N]   writes DIR/tumour.safetensors (weights + preprocessing) and DIR/test-rows.csv
//   predict MODEL ROWS.csv [--preprocessing DOC.json]           prints row, class and one probability per class (round-trip floats)
//   info                                                        prints the runtime kind and the SIMD instruction sets in use
// Under NativeAOT the same verbs run from one native file; see docs/deployment.md.

try
{
    return args.Length == 0 ? Usage("no verb given") : args[0] switch
    {
        "train" => Train(args[1..]),
        "predict" => Predict(args[1..]),
        "info" => Info(),
        _ => Usage($"unknown verb '{args[0]}'"),
    };
}
catch (Exception e) when (e is PredictorLoadException or CsvFormatException or ModelFileException or ArgumentException or IOException or UsageException)
{
    // Bad input is a message, never a stack dump.
    Console.Error.WriteLine("error: " + e.Message);
    return 2;
}

static int Train(string[] args)
{
    string data = Option(args, "--data") ?? TumourTraining.DefaultDataPath;
    string folder = Option(args, "--out") ?? ".";
    string seedText = Option(args, "--seed") ?? "1";
    if (!int.TryParse(seedText, NumberStyles.Integer, CultureInfo.InvariantCulture, out int seed)) throw new UsageException($"--seed {seedText}: expected a whole number");
    Directory.CreateDirectory(folder);
    var trained = TumourTraining.Train(data, seed);
    string modelPath = Path.Combine(folder, "tumour.safetensors"), rowsPath = Path.Combine(folder, "test-rows.csv");
    string driftPath = Path.Combine(folder, "drift-reference.json");
    trained.Model.Save(modelPath, trained.Preprocessing);
    trained.Drift.Save(driftPath);   // for the service's GET /drift (--Drift drift-reference.json)
    TumourTraining.WriteCsv(trained.TestRows, rowsPath);
    var test = trained.Preprocessing.ToDataset(trained.TestRows, TargetKind.ClassIndex);
    var evaluation = trained.Model.Evaluate(test);
    Console.WriteLine($"wrote {modelPath}, {driftPath} and {rowsPath} ({trained.TestRows.RowCount} held-out rows); test accuracy {evaluation.Accuracy.ToString("F4", CultureInfo.InvariantCulture)}");
    return 0;
}

static int Predict(string[] args)
{
    string[] positional = Positional(args);
    if (positional.Length != 2) throw new UsageException("predict takes MODEL ROWS.csv");
    var predictor = Predictor.Load(positional[0], () => new TumourNet(), Option(args, "--preprocessing"));
    var rows = CsvReader.ReadTable(positional[1], predictor.Preprocessing.Schema());
    var batch = predictor.Predict(rows);
    var output = new StringBuilder();
    output.Append("row,class");
    foreach (string name in batch.ClassNames) output.Append(',').Append(name);
    output.Append('\n');
    for (int r = 0; r < batch.Count; r++)
    {
        output.Append(r.ToString(CultureInfo.InvariantCulture)).Append(',').Append(batch.ClassNames[batch.Classes[r]]);
        foreach (float p in batch.Row(r)) output.Append(',').Append(p.ToString("R", CultureInfo.InvariantCulture));
        output.Append('\n');
    }
    Console.Out.Write(output);
    return 0;
}

static int Info()
{
    // What decides the arithmetic: FMA (one rounding per multiply-add in the GEMM) and the vector widths.
    // PublishAot turns RuntimeFeature.IsDynamicCodeSupported off in the JIT build too; only a JIT compiles IL.
    bool jit = System.Runtime.JitInfo.GetCompiledILBytes() > 0;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{{\"runtime\": \"{(jit ? "jit" : "nativeaot")}\", \"fma\": {Json(Fma.IsSupported)}, \"avx2\": {Json(Avx2.IsSupported)}, \"avx512f\": {Json(Avx512F.IsSupported)}, " +
        $"\"vector128\": {Json(Vector128.IsHardwareAccelerated)}, \"vector256\": {Json(Vector256.IsHardwareAccelerated)}, \"vector512\": {Json(Vector512.IsHardwareAccelerated)}, \"vector_float_lanes\": {Vector<float>.Count}}}"));
    return 0;
}

static string Json(bool value) => value ? "true" : "false";

static string? Option(string[] args, string name)
{
    int i = Array.IndexOf(args, name);
    if (i < 0) return null;
    if (i + 1 >= args.Length) throw new UsageException($"{name} needs a value");
    return args[i + 1];
}

static string[] Positional(string[] args)
{
    var list = new System.Collections.Generic.List<string>();
    for (int i = 0; i < args.Length; i++)
    {
        if (args[i].StartsWith("--", StringComparison.Ordinal)) { i++; continue; }
        list.Add(args[i]);
    }
    return [.. list];
}

static int Usage(string problem)
{
    Console.Error.WriteLine("error: " + problem);
    Console.Error.WriteLine("usage: Predict train [--data CSV] [--out DIR] [--seed N] | predict MODEL ROWS.csv [--preprocessing DOC] | info");
    return 2;
}

/// <summary>A command line that does not say what to do.</summary>
sealed class UsageException(string message) : Exception(message);
