using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using Digits;
using ModelGen;

var lines = new StreamReader(new GZipStream(File.OpenRead("/work/shared/data/digits.csv.gz"), CompressionMode.Decompress)).ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries).ToArray();
var feats = new float[lines.Length * 64]; var labels = new int[lines.Length];
for (int i = 0; i < lines.Length; i++) { var f = lines[i].Split(','); for (int j = 0; j < 64; j++) feats[i * 64 + j] = float.Parse(f[j]) / 16f; labels[i] = int.Parse(f[64]); }
var all = Dataset.ForClassification(feats, 64, labels, 10);
var train = all.Slice(0, 1437); var test = all.Slice(1437, 360);
var model = new DigitsMlp(seed: 42);
Console.WriteLine(model.Summary());
var sw = System.Diagnostics.Stopwatch.StartNew();
var h = model.Fit(train, test, epochs: 30, batchSize: 64, optimizer: new Adam(1e-3f), seed: 42, onEpoch: e => Console.WriteLine(e));
Console.WriteLine(model.Evaluate(test) + $" in {sw.ElapsedMilliseconds} ms");
