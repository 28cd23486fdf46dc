using System;
using System.IO;
using System.Linq;
using ModelGen.Data;
using Xunit;

namespace ModelGen.Tests.Data;

/// <summary>Typed CSV loading into tables: types, roles, missing values, provenance and the errors.</summary>
public class TableCsvTests
{
    private const string Visits =
        "patient,visit,age,ward,stay_days,readmitted\n" +
        "p1,2024-01-03,54,A,3,no\n" +
        "p2,2024-01-05,61,B,,yes\n" +
        "p1,2024-02-10T08:30:00Z,54,A,7,yes\n";

    private static readonly TableSchema VisitSchema = new(
        new ColumnSpec("patient", ColumnType.Category, ColumnRole.GroupKey),
        new ColumnSpec("visit", ColumnType.Date, ColumnRole.Timestamp),
        new ColumnSpec("ward", ColumnType.Category),
        new ColumnSpec("stay_days", Role: ColumnRole.KnownAfterOutcome) { MissingValues = MissingValues.NaN },
        new ColumnSpec("readmitted", ColumnType.Category, ColumnRole.Label));

    private static Table<Unsplit> Read(string text, TableSchema schema, CsvOptions? options = null) =>
        CsvReader.ReadTable(new StringReader(text), schema, options, "visits.csv");

    private static CsvFormatException Fails(string text, TableSchema schema, CsvOptions? options = null) =>
        Assert.Throws<CsvFormatException>(() => Read(text, schema, options));

    [Fact]
    public void ReadsTypesRolesAndProvenance()
    {
        var t = Read(Visits, VisitSchema);
        Assert.Equal("unsplit", t.Role);
        Assert.Equal(3, t.RowCount);
        Assert.Equal(["patient", "visit", "age", "ward", "stay_days", "readmitted"], t.Columns.Select(c => c.Name));
        Assert.Equal(ColumnType.Number, t["age"].Type);                // unlisted: a numeric feature
        Assert.Equal(ColumnRole.Feature, t["age"].Role);
        Assert.Equal(["p1", "p2"], t["patient"].Levels);
        Assert.Equal("p1", t["patient"].Level(2));
        Assert.Same(t["patient"], t.GroupKey);
        Assert.Same(t["visit"], t.Timestamp);
        Assert.Same(t["readmitted"], t.Label);
        Assert.Equal((new DateTime(2024, 2, 10, 8, 30, 0, DateTimeKind.Utc) - DateTime.UnixEpoch).TotalSeconds, t["visit"][2]);
        Assert.Equal("2024-01-03", t["visit"].Format(0));
        Assert.True(t["stay_days"].IsMissing(1));
        Assert.Equal(ColumnRole.KnownAfterOutcome, t["stay_days"].Role);
        Assert.Equal(["age"], t.FeatureColumns);
        Assert.Equal(new RowId("visits.csv", 2), t.Provenance[2].Id);
        Assert.False(t.Provenance[2].IsSynthetic);
        Assert.Contains("visits.csv[1]", t.Preview(2));
    }

    [Fact]
    public void WrongFieldCountNamesFileLineAndBothCounts()
    {
        var e = Fails("a,b,c\n1,2,3\n4,5\n", new TableSchema());
        Assert.Equal("visits.csv, line 3 has 2 fields; the header has 3; column 3 ('c') is missing", e.Message);
        Assert.Equal(3, e.LineNumber);
    }

    [Fact]
    public void UnparsableNumberNamesFileLineColumnAndText()
    {
        var e = Fails("a,b\n1,2\n3,4x\n", new TableSchema());
        Assert.Equal("visits.csv, line 3, column 2 ('b'): expected a number, found '4x'", e.Message);
        Assert.Equal("b", e.ColumnName);
        Assert.Equal("4x", e.Found);
    }

    [Fact]
    public void AWordInANumberColumn_SuggestsDeclaringTheColumnAsACategory()
    {
        // Not in the schema: OtherColumns read it as numbers.
        var undeclared = Fails("a,colour\n1,red\n", new TableSchema(new ColumnSpec("a")));
        Assert.Equal("visits.csv, line 2, column 2 ('colour'): expected a number, found 'red'; 'colour' is not declared in the schema, so it was read as " +
                     "TableSchema.OtherColumns (Number). If it holds categories, declare it: new ColumnSpec(\"colour\", ColumnType.Category)", undeclared.Message);
        // Declared a number: the same advice, shorter.
        var declared = Fails("a,colour\n1,red\n", new TableSchema(new ColumnSpec("a"), new ColumnSpec("colour")));
        Assert.EndsWith("found 'red'; if 'colour' holds categories, declare it so: new ColumnSpec(\"colour\", ColumnType.Category)", declared.Message);
        // Declared a category, the file reads.
        var table = CsvReader.ReadTable(new System.IO.StringReader("a,colour\n1,red\n2,blue\n"), new TableSchema(new ColumnSpec("a"), new ColumnSpec("colour", ColumnType.Category)));
        Assert.Equal(2, table.RowCount);
    }

    [Fact]
    public void MissingValuesAreAnErrorByDefaultAndNaNByOption()
    {
        var e = Fails("a,b\n1,\n", new TableSchema());
        Assert.StartsWith("visits.csv, line 2, column 2 ('b'): expected a number, found an empty field; set CsvOptions.MissingValues", e.Message);
        var t = Read("a,b\n1,\n2,NA\n", new TableSchema(), new CsvOptions { MissingValues = MissingValues.NaN });
        Assert.True(t["b"].IsMissing(0) && t["b"].IsMissing(1));
        // A column's own policy wins over the file's.
        var strict = new TableSchema(new ColumnSpec("b") { MissingValues = MissingValues.Error });
        Assert.Contains("column 2 ('b')", Fails("a,b\n1,\n", strict, new CsvOptions { MissingValues = MissingValues.NaN }).Message);
    }

    [Fact]
    public void BadDatesAndUndeclaredLevelsAreErrors()
    {
        var dates = new TableSchema(new ColumnSpec("d", ColumnType.Date));
        Assert.Equal("visits.csv, line 2, column 1 ('d'): expected a date (ISO 8601, e.g. 2024-03-15 or 2024-03-15T08:30:00Z), found '2024-13-45'",
            Fails("d\n2024-13-45\n", dates).Message);
        var levels = new TableSchema(new ColumnSpec("c", ColumnType.Category) { Levels = ["lo", "hi"] });
        var t = Read("c\nhi\nlo\n", levels);
        Assert.Equal([1.0, 0.0], t["c"].Values.ToArray());
        Assert.Equal("visits.csv, line 3, column 1 ('c'): expected one of the declared levels 'lo', 'hi', found 'mid'", Fails("c\nlo\nmid\n", levels).Message);
    }

    [Fact]
    public void HeaderMustMatchTheSchema()
    {
        var e = Fails("a,b\n1,2\n", new TableSchema(new ColumnSpec("label", Role: ColumnRole.Label)));
        Assert.Equal("visits.csv, line 1: the header has no column 'label', which the schema declares; the header's columns are 'a', 'b'", e.Message);
        var closed = new TableSchema(new ColumnSpec("a")) { OtherColumns = null };
        Assert.Equal("visits.csv, line 1, column 2 ('b'): expected a column the schema declares ('a'); declare it, or set TableSchema.OtherColumns, found 'b'", Fails("a,b\n1,2\n", closed).Message);
        Assert.Equal("visits.csv, line 1, column 2 ('a'): expected a column name other than those before it (column 1 has the same), found 'a'", Fails("a,a\n1,2\n", new TableSchema()).Message);
    }

    [Fact]
    public void WithoutHeaderTheSchemaNamesEveryColumnInOrder()
    {
        var schema = new TableSchema(new ColumnSpec("x"), new ColumnSpec("y", Role: ColumnRole.Label));
        var t = Read("1,0\n2,1\n", schema, new CsvOptions { HasHeader = false });
        Assert.Equal([1.0, 2.0], t["x"].Values.ToArray());
        Assert.Equal("visits.csv, line 2 has 3 fields; the schema declares 2 (the file has no header line); column 3 is extra (found '5')",
            Fails("1,0\n2,1,5\n", schema, new CsvOptions { HasHeader = false }).Message);
    }

    [Fact]
    public void SchemaRejectsTwoLabelsAndDuplicateNames()
    {
        Assert.Contains("both have the role Label", Assert.Throws<ArgumentException>(() =>
            new TableSchema(new ColumnSpec("a", Role: ColumnRole.Label), new ColumnSpec("b", Role: ColumnRole.Label))).Message);
        Assert.Contains("twice", Assert.Throws<ArgumentException>(() => new TableSchema(new ColumnSpec("a"), new ColumnSpec("a"))).Message);
    }

    private sealed class VisitRow : IRowSchema
    {
        public static TableSchema Schema => VisitSchema;
    }

    [Fact]
    public void RowTypeSuppliesItsSchemaWithoutReflection()
    {
        using var dir = new TestFiles.TempDirectory();
        string path = dir.Write("v.csv", Visits);
        var t = CsvReader.ReadTable<VisitRow>(path, sourceName: "v");
        Assert.Equal("readmitted", t.Label!.Name);
        Assert.Equal("v[0]", t.Provenance[0].ToString());
    }

    [Fact]
    public void LabelledSampleFileLoadsAsATableWithACategoryLabel()
    {
        var t = Datasets.LoadLabeledTable(TestFiles.SampleData("breast_cancer.csv"), sourceName: "bc");
        Assert.Equal(569, t.RowCount);
        Assert.Equal(31, t.ColumnCount);
        Assert.Equal(["malignant", "benign"], t.Label!.Levels);
        var counts = Reference.Ints("breast_cancer.class_counts");
        Assert.Equal(counts[0], t.Label.Values.ToArray().Count(v => v == 0));
        Assert.Equal(counts[1], t.Label.Values.ToArray().Count(v => v == 1));
        // The values are parsed as scikit-learn's loader parses them: same means and standard deviations.
        var scaler = new StandardScaler().Fit(t.AsTrain());
        Reference.Close(Reference.Vector("breast_cancer.mean"), scaler.Means.ToArray(), 1e-12, "mean");
        Reference.Close(Reference.Vector("breast_cancer.scale"), scaler.Scales.ToArray(), 1e-12, "scale");
        var names = Enumerable.Range(0, 30).Select(i => "x" + i).ToArray();
        Assert.Equal("x29", Datasets.LoadLabeledTable(TestFiles.SampleData("breast_cancer.csv"), names).Columns[29].Name);
        Assert.Throws<ArgumentException>(() => Datasets.LoadLabeledTable(TestFiles.SampleData("breast_cancer.csv"), names[..5]));
    }

    [Fact]
    public void ToDatasetUsesExplicitFeaturesAndRefusesLeakyOrUnreadyColumns()
    {
        var t = Read(Visits.Replace("3,no", "3,no").Replace(",,yes", ",4,yes"), VisitSchema);
        var data = t.ToDataset(["age"], TargetKind.ClassIndex);
        Assert.Equal([54f, 61f, 54f], data.Features);
        Assert.Equal(2, data.ClassCount);                      // levels 'no', 'yes'
        Assert.Equal([0, 1, 1], Enumerable.Range(0, 3).Select(data.Label));
        var binary = t.ToDataset(["age"], TargetKind.Value);
        Assert.Equal([0f, 1f, 1f], binary.Targets);

        var e = Assert.Throws<ArgumentException>(() => t.ToDataset(["age", "stay_days"], TargetKind.ClassIndex));
        Assert.Contains("'stay_days' is known only after the outcome", e.Message);
        Assert.Contains("allowKnownAfterOutcome", e.Message);
        Assert.Equal([54f, 3f, 61f, 4f, 54f, 7f], t.ToDataset(["age", "stay_days"], TargetKind.ClassIndex, allowKnownAfterOutcome: true).Features);

        Assert.Contains("'ward' is a category; encode it", Assert.Throws<ArgumentException>(() => t.ToDataset(["ward"], TargetKind.Value)).Message);
        Assert.Contains("'readmitted' is the label", Assert.Throws<ArgumentException>(() => t.ToDataset(["readmitted"], TargetKind.Value)).Message);
        Assert.Contains("role GroupKey", Assert.Throws<ArgumentException>(() => t.ToDataset(["patient"], TargetKind.Value)).Message);
        Assert.Contains("'weight' is not a column", Assert.Throws<ArgumentException>(() => t.ToDataset(["weight"], TargetKind.Value)).Message);
        Assert.Contains("listed twice", Assert.Throws<ArgumentException>(() => t.ToDataset(["age", "age"], TargetKind.Value)).Message);

        var missing = Read(Visits, VisitSchema);
        var m = Assert.Throws<ArgumentException>(() => missing.ToDataset(["age", "stay_days"], TargetKind.ClassIndex, allowKnownAfterOutcome: true));
        Assert.Contains("'stay_days' is missing in row visits.csv[1]", m.Message);
    }

    [Fact]
    public void RowOperationsKeepProvenanceAndRole()
    {
        var t = Read(Visits, VisitSchema);
        var older = t.Where(r => r["age"] > 55);
        Assert.Equal(1, older.RowCount);
        Assert.Equal(new RowId("visits.csv", 1), older.Provenance[0].Id);
        var picked = t.Rows(2, 0, 2);
        Assert.Equal([2, 0, 2], picked.Provenance.Select(p => p.Id.Row));
        var relabelled = t.WithRole("age", ColumnRole.KnownAfterOutcome);
        Assert.Empty(relabelled.FeatureColumns);
        Assert.Contains("both have the role Label", Assert.Throws<ArgumentException>(() => t.WithRole("ward", ColumnRole.Label)).Message);
        Assert.Equal(5, t.WithoutColumns("ward").ColumnCount);
        Assert.Equal(["age", "ward"], t.SelectColumns("age", "ward").Columns.Select(c => c.Name));
    }

    [Fact]
    public void CreateBuildsATableFromColumns()
    {
        var t = Table.Create("mem",
            TableColumn.Numbers("x", [1, 2, 3]),
            TableColumn.Categories("g", ["a", null, "a"], ColumnRole.GroupKey),
            TableColumn.Dates("t", [new DateTime(2024, 1, 1), null, new DateTime(2024, 1, 3)]));
        Assert.Equal("mem[1]", t.Provenance[1].ToString());
        Assert.Null(t["g"].Level(1));
        Assert.Equal("2024-01-03", t["t"].Format(2));
        Assert.Contains("has 2 rows but the table has 3", Assert.Throws<ArgumentException>(() =>
            Table.Create("m", TableColumn.Numbers("x", [1, 2, 3]), TableColumn.Numbers("y", [1, 2]))).Message);
    }
}
