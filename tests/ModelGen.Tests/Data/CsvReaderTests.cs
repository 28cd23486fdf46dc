using System;
using System.IO;
using System.Text;
using ModelGen.Data;
using Xunit;

namespace ModelGen.Tests.Data;

public class CsvReaderTests
{
    private static NumericTable Read(string text, CsvOptions? options = null) =>
        CsvReader.ReadNumeric(new StringReader(text), options, "t.csv");

    private static CsvFormatException Fails(string text, CsvOptions? options = null) =>
        Assert.Throws<CsvFormatException>(() => Read(text, options));

    [Fact]
    public void ReadsHeaderAndRowsInRowMajorOrder()
    {
        var t = Read("a,b,c\n1,2.5,-3\n4,5e-1,6\n");
        Assert.Equal(new[] { "a", "b", "c" }, t.ColumnNames);
        Assert.Equal(2, t.RowCount);
        Assert.Equal(3, t.ColumnCount);
        Assert.Equal(new[] { 1f, 2.5f, -3f, 4f, 0.5f, 6f }, t.Values);
        Assert.Equal(new[] { 2.5f, 0.5f }, t.Column(1));
        Assert.Equal(new[] { -3f, 6f }, t.Column("c"));
        Assert.Equal(2, t.ColumnIndex("c"));
        Assert.Equal(0.5f, t[1, 1]);
        Assert.Equal(new[] { 4f, 0.5f, 6f }, t.Row(1).ToArray());
    }

    [Fact]
    public void NumbersParseExactlyAsFloatParse()
    {
        string[] texts = { "0", "-0", "16", "1234567", "-9999999", "12345678", "3.14159", "-2.5E+3", ".5", "+7", "1e-45", "0.1" };
        var t = Read("x\n" + string.Join("\n", texts));
        for (int i = 0; i < texts.Length; i++)
            Assert.Equal(BitConverter.SingleToInt32Bits(float.Parse(texts[i], System.Globalization.CultureInfo.InvariantCulture)),
                         BitConverter.SingleToInt32Bits(t.Values[i]));
    }

    [Fact]
    public void UnknownColumnNameIsAnErrorListingTheColumns()
    {
        var e = Assert.Throws<ArgumentException>(() => Read("a,b\n1,2").Column("z"));
        Assert.Contains("'a', 'b'", e.Message);
    }

    [Fact]
    public void QuotedFieldsKeepDelimitersLineBreaksAndDoubledQuotes()
    {
        var t = Read("\"x,y\",\"say \"\"hi\"\"\",\"multi\nline\"\n\"1\",  \"2\"  ,3\n");
        Assert.Equal(new[] { "x,y", "say \"hi\"", "multi\nline" }, t.ColumnNames);
        Assert.Equal(new[] { 1f, 2f, 3f }, t.Values);
    }

    [Fact]
    public void LineNumbersCountLineBreaksInsideQuotes()
    {
        var e = Fails("\"a\nb\",c\n1,2\n3,x\n");
        Assert.Equal("t.csv, line 4, column 2 ('c'): expected a number, found 'x'; ReadNumeric reads numbers only. If 'c' holds categories, read the file with CsvReader.ReadTable, which makes a column of words a category, or declare it in a schema: new ColumnSpec(\"c\", ColumnType.Category)", e.Message);
        Assert.Equal(4, e.LineNumber);
    }

    [Theory]
    [InlineData("a,b\r\n1,2\r\n3,4\r\n")]
    [InlineData("a,b\r\n1,2\r\n3,4")]
    [InlineData("a,b\n1,2\n3,4\n\n")]
    [InlineData("a,b\r\n1,2\r\n3,4\r\n\r\n\r\n")]
    [InlineData("a,b\r1,2\r3,4\r")]
    [InlineData("\uFEFFa,b\n1,2\n3,4")]
    public void LineEndsTrailingBlankLinesAndByteOrderMarkAreTransparent(string text)
    {
        var t = Read(text);
        Assert.Equal(new[] { "a", "b" }, t.ColumnNames);
        Assert.Equal(new[] { 1f, 2f, 3f, 4f }, t.Values);
    }

    [Fact]
    public void ByteOrderMarkInAFileIsSkipped()
    {
        using var dir = new TestFiles.TempDirectory();
        var t = CsvReader.ReadNumeric(dir.Write("bom.csv", "a,b\r\n1,2\r\n", bom: true));
        Assert.Equal("a", t.ColumnNames[0]);
        Assert.Equal(new[] { 1f, 2f }, t.Values);
    }

    [Fact]
    public void GzipFilesAreDecompressedWhateverTheirName()
    {
        using var dir = new TestFiles.TempDirectory();
        const string text = "a,b\n1,2\n3,4\n";
        var plain = CsvReader.ReadNumeric(dir.Write("plain.csv", text));
        var gz = CsvReader.ReadNumeric(dir.WriteGzip("packed.csv.gz", text));
        var renamed = CsvReader.ReadNumeric(dir.WriteGzip("packed.csv", text));
        Assert.Equal(plain.Values, gz.Values);
        Assert.Equal(plain.Values, renamed.Values);
        Assert.Equal(plain.ColumnNames, gz.ColumnNames);
    }

    [Fact]
    public void ErrorsInAFileNameThePath()
    {
        using var dir = new TestFiles.TempDirectory();
        string path = dir.WriteGzip("bad.csv.gz", "a,b\n1,2\n3,oops\n");
        var e = Assert.Throws<CsvFormatException>(() => CsvReader.ReadNumeric(path));
        Assert.Equal($"{path}, line 3, column 2 ('b'): expected a number, found 'oops'; ReadNumeric reads numbers only. If 'b' holds categories, read the file with CsvReader.ReadTable, which makes a column of words a category, or declare it in a schema: new ColumnSpec(\"b\", ColumnType.Category)", e.Message);
        Assert.Equal(path, e.SourceName);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(8)]
    public void TruncatedGzipIsAnErrorNotAShortTable(int cutOneIn)
    {
        using var dir = new TestFiles.TempDirectory();
        var sb = new StringBuilder("a,b\n");
        for (int i = 0; i < 20000; i++) sb.Append(i).Append(',').Append(i * 7 % 13).Append('\n');
        string path = dir.WriteGzip("cut.csv.gz", sb.ToString());
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes.AsSpan(0, bytes.Length - bytes.Length / cutOneIn).ToArray());
        var e = Assert.Throws<InvalidDataException>(() => CsvReader.ReadNumeric(path));
        Assert.StartsWith($"{path}: the gzip data is damaged or truncated: it ends early: its trailer promises ", e.Message);
    }

    [Fact]
    public void ConcatenatedGzipMembersReadAsOneFile()
    {
        using var dir = new TestFiles.TempDirectory();
        var first = File.ReadAllBytes(dir.WriteGzip("1.gz", "a,b\n1,2\n"));
        var second = File.ReadAllBytes(dir.WriteGzip("2.gz", "3,4\n"));
        string path = Path.Combine(dir.Path, "both.csv.gz");
        File.WriteAllBytes(path, [.. first, .. second]);
        Assert.Equal(new[] { 1f, 2f, 3f, 4f }, CsvReader.ReadNumeric(path).Values);
    }

    [Fact]
    public void StreamsAreNamedStreamInErrors()
    {
        var e = Assert.Throws<CsvFormatException>(() => CsvReader.ReadNumeric(new StringReader("a\n1\nz")));
        Assert.Equal("<stream>, line 3, column 1 ('a'): expected a number, found 'z'; ReadNumeric reads numbers only. If 'a' holds categories, read the file with CsvReader.ReadTable, which makes a column of words a category, or declare it in a schema: new ColumnSpec(\"a\", ColumnType.Category)", e.Message);
    }

    [Theory]
    [InlineData("", "an empty field")]
    [InlineData("NA", "'NA'")]
    [InlineData("nan", "'nan'")]
    [InlineData("NaN", "'NaN'")]
    [InlineData("\"\"", "an empty field")]
    public void MissingValuesAreErrorsByDefault(string missing, string shown)
    {
        var e = Fails($"a,b\n1,2\n3,{missing}\n");
        Assert.Equal($"t.csv, line 3, column 2 ('b'): expected a number, found {shown}; set CsvOptions.MissingValues to MissingValues.NaN to read missing values as NaN", e.Message);
        Assert.Equal(3, e.LineNumber);
        Assert.Equal(2, e.ColumnNumber);
        Assert.Equal("b", e.ColumnName);
    }

    [Fact]
    public void MissingValuesCanBeReadAsNaN()
    {
        var t = Read("a,b,c,d\n,NA,nan,\"\"\n1, ,NaN,2\n", new CsvOptions { MissingValues = MissingValues.NaN });
        Assert.Equal(8, t.Values.Length);
        Assert.All(new[] { 0, 1, 2, 3, 5, 6 }, i => Assert.True(float.IsNaN(t.Values[i]), $"value {i} is {t.Values[i]}"));
        Assert.Equal(1f, t.Values[4]);
        Assert.Equal(2f, t.Values[7]);
    }

    [Fact]
    public void NaNPolicyStillRejectsText()
    {
        var e = Fails("a\n1\nN/A\n", new CsvOptions { MissingValues = MissingValues.NaN });
        Assert.Equal("t.csv, line 3, column 1 ('a'): expected a number, found 'N/A'", e.Message);
    }

    [Fact]
    public void ShortRowIsAnErrorNamingTheLine()
    {
        var e = Fails("a,b,c\n1,2,3\n4,5\n");
        Assert.Equal("t.csv, line 3 has 2 fields; the header has 3; column 3 ('c') is missing", e.Message);
        Assert.Equal(3, e.LineNumber);
        Assert.Equal(3, e.ColumnNumber);
        Assert.Equal("c", e.ColumnName);
    }

    [Fact]
    public void LongRowIsAnError()
    {
        var e = Fails("a,b\n1,2\n3,4,\n");
        Assert.Equal("t.csv, line 3 has 3 fields; the header has 2; column 3 is extra (found an empty field)", e.Message);
        Assert.Equal(3, e.ColumnNumber);
    }

    [Fact]
    public void BlankLineInsideTheDataIsReportedNotDropped()
    {
        var e = Fails("a,b\n1,2\n\n3,4\n");
        Assert.Equal("t.csv, line 3 has 1 field; the header has 2; column 2 ('b') is missing", e.Message);
    }

    [Fact]
    public void BlankLineInASingleColumnIsAMissingValue()
    {
        Assert.Equal("t.csv, line 3, column 1 ('a'): expected a number, found an empty field; set CsvOptions.MissingValues to MissingValues.NaN to read missing values as NaN",
                     Fails("a\n1\n\n\n2\n").Message);
        var t = Read("a\n1\n\n\n2\n\n", new CsvOptions { MissingValues = MissingValues.NaN });
        Assert.Equal(4, t.RowCount);
        Assert.True(float.IsNaN(t.Values[1]) && float.IsNaN(t.Values[2]));
        Assert.Equal(2f, t.Values[3]);
    }

    [Fact]
    public void WithoutHeaderColumnsAreNumberedAndTheFirstRowSetsTheWidth()
    {
        var options = new CsvOptions { HasHeader = false };
        var t = Read("1,2\n3,4\n", options);
        Assert.Equal(new[] { "c0", "c1" }, t.ColumnNames);
        Assert.Equal(2, t.RowCount);
        Assert.Equal("t.csv, line 3 has 3 fields; the first row (line 1) has 2; column 3 is extra (found '7')", Fails("1,2\n3,4\n5,6,7\n", options).Message);
        Assert.Equal("t.csv, line 2, column 2: expected a number, found 'q'; ReadNumeric reads numbers only. If this column holds categories, read the file with CsvReader.ReadTable, which makes a column of words a category", Fails("1,2\n3,q\n", options).Message);
    }

    [Fact]
    public void EmptyInputWithoutHeaderIsAnEmptyTable()
    {
        var t = Read("", new CsvOptions { HasHeader = false });
        Assert.Equal(0, t.RowCount);
        Assert.Equal(0, t.ColumnCount);
    }

    [Fact]
    public void HeaderOnlyIsZeroRows()
    {
        var t = Read("a,b\n");
        Assert.Equal(0, t.RowCount);
        Assert.Equal(2, t.ColumnCount);
    }

    [Fact]
    public void MissingHeaderIsAnError()
    {
        Assert.Equal("t.csv, line 1: expected a header line, found the end of the file", Fails("").Message);
        Assert.Equal("t.csv, line 1: expected a header line, found the end of the file", Fails("\n\n").Message);
    }

    [Fact]
    public void UnclosedQuoteNamesTheLineWhereItOpens()
    {
        var e = Fails("a,b\n1,2\n3,\"4\n5,6\n");
        Assert.Equal("t.csv, line 3, column 2 ('b'): expected a closing quote for the field that opens here, found the end of the file", e.Message);
    }

    [Fact]
    public void TextAfterAClosingQuoteIsAnError()
    {
        var e = Fails("a,b\n1,\"2\"x\n");
        Assert.Equal("t.csv, line 2, column 2 ('b'): expected the delimiter ',' or the end of the line after the closing quote, found 'x'", e.Message);
        Assert.Equal("x", e.Found);
    }

    [Fact]
    public void QuoteInsideAnUnquotedFieldIsAnError()
    {
        var e = Fails("a,b\n1,12\"3\n");
        Assert.Equal("t.csv, line 2, column 2 ('b'): expected a double quote only around a whole field (quote the field and double the quotes inside it), found '\"' after '12'", e.Message);
    }

    [Fact]
    public void InfinityIsRejected()
    {
        Assert.Equal("t.csv, line 2, column 1 ('a'): expected a finite number (single precision reaches about ±3.4e38), found '1e39'", Fails("a\n1e39\n").Message);
        Assert.Contains("found '-Infinity'", Fails("a\n-Infinity\n", new CsvOptions { MissingValues = MissingValues.NaN }).Message);
    }

    [Fact]
    public void LongFoundTextIsShortened()
    {
        var e = Fails("a\n" + new string('z', 100) + "\n");
        Assert.Contains("found '" + new string('z', 40) + "…'; ReadNumeric reads numbers only.", e.Message);
        Assert.Equal(new string('z', 100), e.Found);
    }

    [Fact]
    public void WithoutTrimBlanksAreDataAndNumbersWithBlanksAreErrors()
    {
        var options = new CsvOptions { Trim = false };
        var e = Fails("a,b\n1, 2\n", options);
        Assert.Equal("t.csv, line 2, column 2 ('b'): expected a number, found ' 2'", e.Message);
        using var csv = new CsvReader(new StringReader(" x , y \n"), options with { HasHeader = false });
        Assert.True(csv.ReadRecord());
        Assert.Equal(" x ", csv.GetString(0));
        Assert.Equal(" y ", csv.GetString(1));
    }

    [Fact]
    public void OtherDelimiters()
    {
        var semi = Read("a;b\n1.5;2\n", new CsvOptions { Delimiter = ';' });
        Assert.Equal(new[] { 1.5f, 2f }, semi.Values);
        // A tab delimiter is never trimmed away as a blank, though spaces around fields still are.
        var tab = Read("a\tb\n1\t \n", new CsvOptions { Delimiter = '\t', MissingValues = MissingValues.NaN });
        Assert.Equal(new[] { "a", "b" }, tab.ColumnNames);
        Assert.Equal(1f, tab.Values[0]);
        Assert.True(float.IsNaN(tab.Values[1]));
    }

    [Fact]
    public void QuoteOrLineBreakCannotBeTheDelimiter()
    {
        Assert.Throws<ArgumentException>(() => Read("a", new CsvOptions { Delimiter = '"' }));
        Assert.Throws<ArgumentException>(() => Read("a", new CsvOptions { Delimiter = '\n' }));
    }

    [Fact]
    public void RecordsCanBeWalkedOneByOne()
    {
        using var csv = new CsvReader(new StringReader("name,score\n\"Smith, J\",1.5\nLee,\n"), new CsvOptions { MissingValues = MissingValues.NaN });
        Assert.Equal(new[] { "name", "score" }, csv.Header);
        Assert.True(csv.ReadRecord());
        Assert.Equal(2, csv.LineNumber);
        Assert.Equal("Smith, J", csv.GetString(0));
        Assert.Equal(1.5f, csv.GetSingle(1));
        var e = Assert.Throws<CsvFormatException>(() => csv.GetSingle(0));
        Assert.Equal("<stream>, line 2, column 1 ('name'): expected a number, found 'Smith, J'", e.Message);
        Assert.True(csv.ReadRecord());
        Assert.True(float.IsNaN(csv.GetSingle(1)));
        Assert.Equal(2, csv.FieldCount);
        Assert.False(csv.ReadRecord());
        Assert.Throws<ArgumentOutOfRangeException>(() => csv.GetField(2));
    }

    /// <summary>Hands out one character per read, so every refill boundary (inside quotes, between CR and LF, after a BOM) is crossed.</summary>
    private sealed class TrickleReader(string text) : TextReader
    {
        private int _pos;

        public override int Read(char[] buffer, int index, int count)
        {
            if (_pos == text.Length || count == 0) return 0;
            buffer[index] = text[_pos++];
            return 1;
        }

        public override int Read() => _pos == text.Length ? -1 : text[_pos++];
    }

    [Theory]
    [InlineData("\uFEFFa,\"b\r\nc\"\r\n1,\"2\"\r\n3 , 4\r\n\r\n")]
    [InlineData("a,\"b\"\"\"\r1,2\r3,4")]
    public void RefillBoundariesDoNotChangeTheResult(string text)
    {
        var whole = CsvReader.ReadNumeric(new StringReader(text), new CsvOptions { MissingValues = MissingValues.NaN });
        var trickled = CsvReader.ReadNumeric(new TrickleReader(text), new CsvOptions { MissingValues = MissingValues.NaN });
        Assert.Equal(whole.ColumnNames, trickled.ColumnNames);
        Assert.Equal(whole.Values, trickled.Values);
        Assert.Equal(2, whole.ColumnCount);
        Assert.Equal(2, whole.RowCount);
    }

    [Fact]
    public void LargeInputsCrossTheBufferSize()
    {
        var sb = new StringBuilder("x,y\r\n");
        for (int i = 0; i < 50000; i++) sb.Append(i).Append(",\"").Append(i * 0.25).Append("\"\r\n");
        var t = Read(sb.ToString());
        Assert.Equal(50000, t.RowCount);
        for (int i = 0; i < 50000; i += 997)
        {
            Assert.Equal(i, t[i, 0]);
            Assert.Equal((float)(i * 0.25), t[i, 1]);
        }
    }

    [Fact]
    public void ReadsTheShippedDigitsFileAsANumericTable()
    {
        var t = CsvReader.ReadNumeric(TestFiles.SampleData("digits.csv.gz"), new CsvOptions { HasHeader = false });
        Assert.Equal(1797, t.RowCount);
        Assert.Equal(65, t.ColumnCount);
        Assert.InRange(t.Values.AsSpan().IndexOfAnyExceptInRange(0f, 16f), -1, -1);
    }

    [Fact]
    public void AWordInANumberColumn_PointsToTheReaderThatTakesCategories_AndTheTwinReads()
    {
        var e = Fails("size,colour\n1,red\n");
        Assert.Equal("t.csv, line 2, column 2 ('colour'): expected a number, found 'red'; ReadNumeric reads numbers only. If 'colour' holds categories, " +
                     "read the file with CsvReader.ReadTable, which makes a column of words a category, or declare it in a schema: " +
                     "new ColumnSpec(\"colour\", ColumnType.Category)", e.Message);
        // A missing-value word is not a category, and text with a digit is a mistyped number: neither gets the advice.
        Assert.EndsWith("found 'N/A'", Fails("size,colour\n1,N/A\n").Message);
        Assert.EndsWith("found '3,5'", Fails("size;colour\n1;3,5\n", new CsvOptions { Delimiter = ';' }).Message);
        // The advice works: ReadTable infers the word column as a category.
        var table = CsvReader.ReadTable(new StringReader("size,colour\n1,red\n2,blue\n"));
        Assert.Equal(ColumnType.Category, table["colour"].Type);
    }
}
