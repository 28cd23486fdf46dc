using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using ModelGen.Analyzers;
using ModelGen.Testing;
using Xunit;

namespace ModelGen.Analyzers.Tests;

/// <summary>The descriptors, the release tracking file and the help pages describe the same rules.</summary>
public class DiagnosticCatalogTests
{
    private static readonly string Root = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ModelGen.sln"))) return dir.FullName;
        throw new InvalidOperationException("ModelGen.sln not found above " + AppContext.BaseDirectory);
    }

    private static readonly Microsoft.CodeAnalysis.DiagnosticDescriptor[] Rules =
        Harness.Rules.OrderBy(d => d.Id, StringComparer.Ordinal).ToArray();

    [Fact]
    public void Ids_AreNumberedInContiguousBlocksPerFamily_WithHelpLinks()
    {
        // MG00xx: declarations, dense shapes and leakage; MG01xx: convolution and pooling. Each block starts at its first
        // number and has unique IDs; numbers are handed out in ranges (e.g. MG0029–MG0035 and MG0036–MG0040 to separate
        // lines of work), so a block may have a gap until the range before it is used.
        foreach (var block in Rules.GroupBy(r => int.Parse(r.Id.Substring(2), CultureInfo.InvariantCulture) / 100))
        {
            int first = block.Key == 0 ? 1 : block.Key * 100 + 1;
            var numbers = block.Select(r => int.Parse(r.Id.Substring(2), CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(first, numbers[0]);
            Assert.Equal(numbers.Distinct().Count(), numbers.Count);
            Assert.True(numbers.Zip(numbers.Skip(1), (a, b) => b > a).All(ascending => ascending), string.Join(", ", block.Select(r => r.Id)));
        }
        foreach (var rule in Rules)
        {
            Assert.Equal($"{FrontEnd.Diagnostics.HelpLinkBase}{rule.Id}.md", rule.HelpLinkUri);
            Assert.StartsWith("https://", rule.HelpLinkUri, StringComparison.Ordinal);
            Assert.True(rule.Category is "ModelGen.Declaration" or "ModelGen.Shapes" or "ModelGen.Leakage" or "ModelGen.Cuda", rule.Id + ": " + rule.Category);
            Assert.True(rule.IsEnabledByDefault);
        }
    }

    [Fact]
    public void UnshippedReleases_ListEveryRule_WithItsCategoryAndSeverity()
    {
        var rows = File.ReadAllLines(Path.Combine(Root, "analyzers/ModelGen.Analyzers/AnalyzerReleases.Unshipped.md"))
            .Where(l => l.StartsWith("MG", StringComparison.Ordinal))
            .Select(l => l.Split('|').Select(c => c.Trim()).ToArray())
            .ToDictionary(c => c[0]);
        Assert.Equal(Rules.Select(r => r.Id), rows.Keys.OrderBy(k => k, StringComparer.Ordinal));
        foreach (var rule in Rules)
        {
            var row = rows[rule.Id];
            Assert.Equal(rule.Category, row[1]);
            Assert.Equal(rule.DefaultSeverity.ToString(), row[2]);
            Assert.Equal(rule.Title.ToString(), row[3]);
        }
    }

    [Fact]
    public void HelpPages_ExistForEveryRule_WithTitleSeverityCategoryExamplesAndSuppression()
    {
        foreach (var rule in Rules)
        {
            string path = Path.Combine(Root, "docs/diagnostics", rule.Id + ".md");
            Assert.True(File.Exists(path), path + " is missing");
            string page = File.ReadAllText(path);
            Assert.StartsWith($"# {rule.Id}: {rule.Title}", page);
            Assert.Contains($"| Severity | {rule.DefaultSeverity} |", page);
            Assert.Contains($"| Category | {rule.Category} |", page);
            Assert.True(Regex.Matches(page, "```csharp").Count >= 2, rule.Id + ": needs a wrong and a right example");
            Assert.Contains($"#pragma warning disable {rule.Id}", page);
            Assert.Contains($"dotnet_diagnostic.{rule.Id}.severity = none", page);
        }
    }

    /// <summary>The text under a page's "## What it means" heading, up to the next heading.</summary>
    private static string Explanation(string page)
    {
        var lines = page.Replace("\r\n", "\n").Split('\n');
        int start = Array.IndexOf(lines, "## What it means");
        Assert.True(start >= 0, "no ## What it means");
        int end = start + 1;
        while (end < lines.Length && !lines[end].StartsWith("## ", StringComparison.Ordinal)) end++;
        return string.Join("\n", lines[(start + 1)..end]).Trim();
    }

    /// <summary>The C# file that holds every page's explanation, as <see cref="Explanation"/> reads the pages today.</summary>
    private static string ExplanationsSource()
    {
        static string Escape(string text) => text.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");
        var source = new System.Text.StringBuilder();
        source.Append("""
            // Written from the "What it means" section of each page in docs/diagnostics by DiagnosticCatalogTests
            // (MODELGEN_ACCEPT=1 dotnet test tests/ModelGen.Analyzers.Tests); edit the pages, then rewrite this file.
            namespace ModelGen.FrontEnd;

            internal static partial class Diagnostics
            {
                /// <summary>The explanation on the help page of rule <paramref name="id"/>: the description the IDE shows.</summary>
                private static string HelpPageExplanation(string id) => id switch
                {

            """.Replace("\r\n", "\n"));
        foreach (var page in Directory.GetFiles(Path.Combine(Root, "docs/diagnostics"), "MG*.md").OrderBy(p => p, StringComparer.Ordinal))
            source.Append($"        \"{Path.GetFileNameWithoutExtension(page)}\" => \"{Escape(Explanation(File.ReadAllText(page)))}\",\n");
        source.Append("        _ => \"\",\n    };\n}\n");
        return source.ToString();
    }

    [Fact]
    public void Descriptions_AreTheHelpPagesExplanations_SoThePackageCarriesThemIntoTheIde()
    {
        string path = Path.Combine(Root, "generators/ModelGen.FrontEnd/Diagnostics.Explanations.cs");
        string expected = ExplanationsSource();
        if (Environment.GetEnvironmentVariable("MODELGEN_ACCEPT") == "1") File.WriteAllText(path, expected);
        Assert.True(expected == File.ReadAllText(path).Replace("\r\n", "\n"),
            "Diagnostics.Explanations.cs is older than the help pages; rewrite it with MODELGEN_ACCEPT=1 dotnet test tests/ModelGen.Analyzers.Tests.");
        foreach (var rule in Rules)
        {
            string description = rule.Description.ToString(CultureInfo.InvariantCulture);
            Assert.True(description.Length > 80, rule.Id + ": the description should be the page's explanation, not a stub");
            Assert.Equal(Explanation(File.ReadAllText(Path.Combine(Root, "docs/diagnostics", rule.Id + ".md"))), description);
            Assert.Contains(rule.Id, rule.HelpLinkUri);
        }
    }

    /// <summary>The first C# block under a page's "## Wrong" or "## Right" heading.</summary>
    private static string Example(string page, string heading)
    {
        int at = page.IndexOf("\n## " + heading + "\n", StringComparison.Ordinal);
        Assert.True(at >= 0, "no ## " + heading);
        int start = page.IndexOf("```csharp\n", at, StringComparison.Ordinal) + "```csharp\n".Length;
        int end = page.IndexOf("\n```", start, StringComparison.Ordinal);
        return page.Substring(start, end - start);
    }

    public static TheoryData<string> RuleIds() => new(Rules.Select(r => r.Id));

    [Theory]
    [MemberData(nameof(RuleIds))]
    public async Task HelpPage_WrongExampleShowsTheRealMessage_RightExampleIsClean(string id)
    {
        string page = File.ReadAllText(Path.Combine(Root, "docs/diagnostics", id + ".md")).Replace("\r\n", "\n");
        // MG0016 is about the project setting, not the code: the same model, compiled without and with unsafe blocks.
        bool unsafeMatters = id == "MG0016";

        var wrong = await Harness.AnalyzeAsync(Harness.Compile(allowUnsafe: !unsafeMatters, Example(page, "Wrong")));
        Assert.NotEmpty(wrong);
        foreach (var d in wrong)
        {
            Assert.Equal(id, d.Id);
            string shown = $"{d.Severity.ToString().ToLowerInvariant()} {d.Id}: {d.GetMessage(CultureInfo.InvariantCulture)}";
            Assert.Contains(shown, page);
        }

        // The right examples of the noise, loss-term and cross-attention rules keep those constructs, and MG0039 notes
        // (as information) that such a model runs on the CPU only; MG0039's own right example has none.
        string right = Example(page, "Right");
        Assert.Empty((await Harness.AnalyzeAsync(right)).Where(d => id == "MG0039" || d.Id != "MG0039"));
        var (_, output) = Harness.Generate(Harness.Compile(right));
        Assert.Empty(Harness.Errors(output));
    }

    [Fact]
    public void Readme_IndexesEveryRule()
    {
        string readme = File.ReadAllText(Path.Combine(Root, "docs/diagnostics/README.md"));
        foreach (var rule in Rules)
            Assert.Contains($"| [{rule.Id}]({rule.Id}.md) | {rule.Title} | {rule.Category} | {rule.DefaultSeverity} |", readme);
    }
}
