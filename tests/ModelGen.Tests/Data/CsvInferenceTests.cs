using System;
using System.IO;
using System.Linq;
using ModelGen.Data;
using Xunit;

namespace ModelGen.Tests.Data;

/// <summary>Column types inferred from ordinary headed CSV files, the printed report, and the errors of malformed files.</summary>
public class CsvInferenceTests
{
    // Line 1 is the header; data rows 0…5 start on lines 2, 3, 4, 6, 7 and 8: the quoted note of row 2 spans lines 4 and 5.
    private const string Tricky =
        "id,price,city,joined,score,code,note\n" +
        "1,\"3.50\",Paris,2024-01-03,7,007,plain\n" +
        "2,,Lyon,2024-02-10T08:30:00Z,NA,12,\"with, comma\"\n" +
        "3,\"1,200\",Paris,,8,x9,\"two\n" +
        "lines\"\n" +
        "4,-2.5e1, Nice ,2024-03-01 12:00,nan,5,\n" +
        "5,4,NA,2023-12-31,9,6,last\n" +
        "6,\"7\",Lyon,2024-01-03,n/a,8,\"\"\n";

    private static InferredSchema Infer(string text, CsvOptions? options = null, TableSchema? known = null) =>
        CsvReader.InferSchema(new StringReader(text), options, "shop.csv", known);

    private static Table<Unsplit> Read(string text, CsvOptions? options = null) =>
        CsvReader.ReadTable(new StringReader(text), options, "shop.csv");

    [Fact]
    public void InfersNumbersCategoriesAndDatesWithTheStatedRules()
    {
        var s = Infer(Tricky);
        Assert.Equal(6, s.Rows);
        Assert.Equal(ColumnType.Number, s["id"].Type);
        // "1,200" is one quoted field that is not an invariant-culture number: price is a category, and the report says why.
        Assert.Equal(ColumnType.Category, s["price"].Type);
        Assert.Equal(ColumnType.Category, s["city"].Type);
        Assert.Equal(ColumnType.Date, s["joined"].Type);
        Assert.Equal(ColumnType.Category, s["score"].Type);           // 'n/a' is text, not one of the missing markers
        Assert.Equal(ColumnType.Category, s["code"].Type);
        Assert.Equal(ColumnType.Category, s["note"].Type);
        Assert.All(s.Columns, c => Assert.Equal(ColumnRole.Feature, c.Spec.Role));
        Assert.All(s.Columns, c => Assert.Equal(MissingValues.NaN, c.Spec.MissingValues));
    }

    [Fact]
    public void TheReadmeExamplePrintsAsShown()
    {
        const string visits = "age,ward,visit,readmitted\n54,A,2024-01-03,no\n61,B,2024-01-05,\n,A,2024-02-10,yes\n41,C,2024-03-01,no\n78,B,2024-01-20,yes\n66,A,2024-02-02,NA\n";
        string expected = string.Join("\n",
            "visits.csv: 6 rows, 4 columns, 3 missing cells (missing = empty, NA or NaN)",
            "column      type      missing  first missing           values",
            "age         number          1  row 2 (line 4)          41 … 78",
            "ward        category        0                          3 levels: 'A', 'B', 'C'",
            "visit       date            0                          2024-01-03 … 2024-03-01",
            "readmitted  category        2  rows 1, 5 (lines 3, 7)  2 levels: 'no', 'yes'",
            "");
        Assert.Equal(expected, CsvReader.InferSchema(new StringReader(visits), sourceName: "visits.csv").ToString().Replace("\r\n", "\n"));
    }

    [Fact]
    public void QuotedNumbersAreNumbers()
    {
        var t = Read("a,b\n\"1.5\",x\n \"2\" ,y\n3,\"z\"\n");
        Assert.Equal(ColumnType.Number, t["a"].Type);
        Assert.Equal([1.5, 2, 3], t["a"].Values.ToArray());
        Assert.Equal(["x", "y", "z"], t["b"].Levels);
        // Blanks inside the quotes belong to the text, as for declared number columns: not a number.
        Assert.Equal(ColumnType.Category, Infer("a\n\" 2 \"\n3\n")["a"].Type);
    }

    [Fact]
    public void MissingCellsAreCountedWithTheirRowsAndLines()
    {
        var s = Infer(Tricky);
        Assert.Equal(1, s["price"].Missing);
        Assert.Equal([1], s["price"].FirstMissingRows);
        Assert.Equal([3L], s["price"].FirstMissingLines);
        Assert.Equal(2, s["score"].Missing);                          // NA and nan: the missing markers in any letter case
        Assert.Equal([1, 3], s["score"].FirstMissingRows.Take(2));
        Assert.Equal([3L, 6L], s["score"].FirstMissingLines.Take(2));
        Assert.Equal(1, s["joined"].Missing);
        Assert.Equal([4L], s["joined"].FirstMissingLines);            // row 2 starts on line 4
        Assert.Equal(2, s["note"].Missing);                           // an empty cell and an empty quoted cell
        Assert.Equal([3, 5], s["note"].FirstMissingRows);
        Assert.Equal(0, s["id"].Missing);
    }

    [Fact]
    public void TheReportShowsTypesMissingCellsAndWhyAColumnIsNotNumeric()
    {
        string report = Infer(Tricky).ToString();
        string expected = string.Join("\n",
            "shop.csv: 6 rows, 7 columns, 7 missing cells (missing = empty, NA or NaN)",
            "column  type      missing  first missing           values",
            "id      number          0                          1 … 6",
            "price   category        1  row 1 (line 3)          mixed: 4 of 5 values are numbers, but not '1,200' (line 4); 5 levels: '3.50', '1,200', '-2.5e1', '4', '7'",
            "city    category        1  row 4 (line 7)          3 levels: 'Paris', 'Lyon', 'Nice'",
            "joined  date            1  row 2 (line 4)          2023-12-31 … 2024-03-01T12:00:00Z",
            "score   category        2  rows 1, 3 (lines 3, 6)  mixed: 3 of 4 values are numbers, but not 'n/a' (line 8); 4 levels: '7', '8', '9', 'n/a'",
            "code    category        0                          mixed: 5 of 6 values are numbers, but not 'x9' (line 4); 6 levels: '007', '12', 'x9', '5', '6', '8'",
            "note    category        2  rows 3, 5 (lines 6, 8)  4 levels: 'plain', 'with, comma', 'two\\nlines', 'last'",
            "");
        Assert.Equal(expected, report.Replace("\r\n", "\n"));
    }

    [Fact]
    public void TheTableHoldsTheInferredTypesAndMissingValues()
    {
        var t = Read(Tricky);
        Assert.Equal(6, t.RowCount);
        Assert.Equal("unsplit", t.Role);
        Assert.Equal(ColumnType.Date, t["joined"].Type);
        Assert.Equal("2024-02-10T08:30:00Z", t["joined"].Format(1));
        Assert.Equal("2024-03-01T12:00:00Z", t["joined"].Format(3));
        Assert.True(t["joined"].IsMissing(2));
        Assert.True(t["price"].IsMissing(1));
        Assert.Equal("1,200", t["price"].Level(2));
        Assert.Equal("Nice", t["city"].Level(3));                    // trimmed
        Assert.Null(t["city"].Level(4));                              // NA in a category column is missing too
        Assert.Equal("two\nlines", t["note"].Level(2));
        Assert.Equal([1.0, 2, 3, 4, 5, 6], t["id"].Values.ToArray());
        Assert.Equal(["id"], t.FeatureColumns);
        Assert.Equal("shop.csv[5]", t.Provenance[5].ToString());
    }

    [Fact]
    public void ANumericColumnWithMissingCellsStaysNumeric()
    {
        var t = Read("x,y\n1,NA\n,2.5\nNaN,\n4,-1\n");
        Assert.Equal(ColumnType.Number, t["x"].Type);
        Assert.Equal(ColumnType.Number, t["y"].Type);
        Assert.True(t["x"].IsMissing(1) && t["x"].IsMissing(2));
        Assert.Equal(-1, t["y"][3]);
    }

    [Fact]
    public void AHeaderOnlyFileIsAnEmptyTableOfNumberColumns()
    {
        var s = Infer("a,b,c\n");
        Assert.Equal(0, s.Rows);
        Assert.All(s.Columns, c => Assert.Equal(ColumnType.Number, c.Type));
        Assert.StartsWith("shop.csv: 0 rows, 3 columns, no missing cells", s.ToString());
        Assert.Contains("no values; read as numbers", s.ToString());
        var t = Read("a,b,c\n");
        Assert.Equal(0, t.RowCount);
        Assert.Equal(3, t.ColumnCount);
    }

    [Fact]
    public void AColumnWithOnlyMissingCellsIsNumeric()
    {
        var t = Read("a,b\n1,\n2,NA\n");
        Assert.Equal(ColumnType.Number, t["b"].Type);
        Assert.True(t["b"].IsMissing(0) && t["b"].IsMissing(1));
    }

    [Fact]
    public void AShortRowNamesItsLineAndTheFirstMissingColumn()
    {
        var e = Assert.Throws<CsvFormatException>(() => Infer("a,b,c\n1,2,3\n4,5\n"));
        Assert.Equal("shop.csv, line 3 has 2 fields; the header (line 1) has 3; column 3 ('c') is missing", e.Message);
        Assert.Equal(3, e.LineNumber);
        Assert.Equal(3, e.ColumnNumber);
        Assert.Equal("c", e.ColumnName);
    }

    [Fact]
    public void ALongRowNamesItsLineAndTheFirstExtraColumnWithItsText()
    {
        var e = Assert.Throws<CsvFormatException>(() => Read("name,price\nlamp,12\nsofa,1,299\n"));
        Assert.Equal("shop.csv, line 3 has 3 fields; the header (line 1) has 2; column 3 is extra (found '299')", e.Message);
        Assert.Equal(3, e.ColumnNumber);
        Assert.Equal("299", e.Found);
    }

    [Fact]
    public void HeaderProblemsAreErrorsNamingTheColumn()
    {
        Assert.Equal("shop.csv, line 1, column 3 ('a'): expected a column name other than those before it (column 1 has the same), found 'a'",
            Assert.Throws<CsvFormatException>(() => Infer("a,b,a\n1,2,3\n")).Message);
        Assert.Equal("shop.csv, line 1, column 2: expected a column name, found an empty field",
            Assert.Throws<CsvFormatException>(() => Infer("a,,c\n1,2,3\n")).Message);
        Assert.Equal("shop.csv, line 1: expected a header line, found the end of the file",
            Assert.Throws<CsvFormatException>(() => Infer("")).Message);
        Assert.Contains("header line", Assert.Throws<ArgumentException>(() => Infer("1,2\n", new CsvOptions { HasHeader = false })).Message);
    }

    [Fact]
    public void KnownColumnsAreReadAsDeclared()
    {
        var known = new TableSchema(new ColumnSpec("code", ColumnType.Category, ColumnRole.Label), new ColumnSpec("id", ColumnType.Category, ColumnRole.GroupKey));
        var s = Infer("id,code,v\n1,007,2.5\n2,12,3\n", known: known);
        Assert.True(s["code"].Declared);
        Assert.Equal(ColumnRole.Label, s["code"].Spec.Role);
        Assert.Contains("category (declared)", s.ToString());
        var t = CsvReader.ReadTable(new StringReader("id,code,v\n1,007,2.5\n2,12,3\n"), s.Schema, sourceName: "shop.csv");
        Assert.Equal(["007", "12"], t.Label!.Levels);
        Assert.Same(t["id"], t.GroupKey);
        Assert.Equal(ColumnType.Number, t["v"].Type);
        Assert.Contains("'nope'", Assert.Throws<ArgumentException>(() => Infer("a\n1\n", known: new TableSchema(new ColumnSpec("nope")))).Message);
    }

    [Fact]
    public void DatesNeedIsoFormInEveryCell()
    {
        // A date that is not ISO 8601 makes the column a category rather than a guess at the day and month order.
        Assert.Equal(ColumnType.Category, Infer("d\n2024-01-03\n03/01/2024\n")["d"].Type);
        var t = Read("d\n2024-01-03T10:00:00+02:00\n2024-01-04 00:00:00.5\n");
        Assert.Equal(ColumnType.Date, t["d"].Type);
        Assert.Equal("2024-01-03T08:00:00Z", t["d"].Format(0));
        Assert.Equal("2024-01-04T00:00:00.5Z", t["d"].Format(1));
        // Years alone are numbers.
        Assert.Equal(ColumnType.Number, Infer("y\n2023\n2024\n")["y"].Type);
    }

    [Fact]
    public void AFileOnDiskReadsTheSameAndSplitsLikeAnyTable()
    {
        using var dir = new TestFiles.TempDirectory();
        var rows = Enumerable.Range(0, 40).Select(i => $"{i},{i * 0.5},{(i % 2 == 0 ? "yes" : "no")},2024-01-{i % 28 + 1:00}");
        string path = dir.WriteGzip("churn.csv.gz", "id,spend,churned,since\n" + string.Join("\n", rows) + "\n");
        var report = CsvReader.InferSchema(path);
        Assert.StartsWith(path + ": 40 rows, 4 columns", report.ToString());
        var table = CsvReader.ReadTable(path, sourceName: "churn").WithRole("churned", ColumnRole.Label);
        Assert.Equal(ColumnType.Date, table["since"].Type);
        var split = Split.TrainTest(table, 0.25, SplitKind.Stratified, seed: 7);
        Assert.Equal(10, split.Test.RowCount);
        var data = split.Train.ToDataset(["spend"], TargetKind.ClassIndex);
        Assert.Equal(["yes", "no"], data.ClassNames);
        Assert.Equal(30, data.Count);
    }
}
