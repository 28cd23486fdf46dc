using System;
using System.IO;
using System.IO.Compression;
using System.Text;

namespace ModelGen.Tests.Data;

/// <summary>Locates the repository's sample data and writes throw-away files for loader tests.</summary>
internal static class TestFiles
{
    /// <summary>samples/data of the repository the tests were built from, found by walking up to ModelGen.sln.</summary>
    public static string SampleData(string fileName)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ModelGen.sln")))
                return Path.Combine(dir.FullName, "samples", "data", fileName);
        }
        throw new InvalidOperationException($"No ModelGen.sln above {AppContext.BaseDirectory}; the tests must run from a build inside the repository.");
    }

    /// <summary>A directory deleted on dispose, holding files a test writes.</summary>
    public sealed class TempDirectory : IDisposable
    {
        public TempDirectory()
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "modelgen-tests-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Path);
        }

        public string Path { get; }

        public string Write(string name, string content, bool bom = false)
        {
            string path = System.IO.Path.Combine(Path, name);
            File.WriteAllText(path, content, new UTF8Encoding(encoderShouldEmitUTF8Identifier: bom));
            return path;
        }

        public string WriteGzip(string name, string content)
        {
            string path = System.IO.Path.Combine(Path, name);
            using var file = File.Create(path);
            using var gzip = new GZipStream(file, CompressionLevel.Optimal);
            var bytes = Encoding.UTF8.GetBytes(content);
            gzip.Write(bytes, 0, bytes.Length);
            return path;
        }

        public void Dispose()
        {
            try { Directory.Delete(Path, recursive: true); }
            catch (IOException) { /* a leftover temp folder must not fail a test that passed */ }
        }
    }
}
