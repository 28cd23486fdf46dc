using System;
using System.IO;
using System.IO.Compression;

namespace ModelGen.Data;

/// <summary>
/// Decompresses a gzip file and, at its end, checks the decompressed length against the file's trailer.
/// <see cref="GZipStream"/> ends quietly when a file is cut short, which would turn a truncated download into a
/// table that is silently missing its last rows (or has a cut-off last number); the trailer check makes that an error.
/// </summary>
/// <remarks>
/// The trailer's ISIZE field is the length of the last gzip member modulo 2^32. For an ordinary single-member file it
/// equals the total length. A file of several concatenated members has a smaller ISIZE, so a smaller value is
/// accepted; a truncated file ends in arbitrary compressed bytes, which almost always read as a larger value.
/// </remarks>
internal sealed class CheckedGzipStream : Stream
{
    private readonly FileStream _file;
    private readonly GZipStream _gzip;
    private long _length;
    private bool _checked;

    public CheckedGzipStream(FileStream file)
    {
        _file = file;
        _gzip = new GZipStream(file, CompressionMode.Decompress, leaveOpen: false);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _length; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = _gzip.Read(buffer);
        _length += n;
        if (n == 0 && buffer.Length > 0 && !_checked)
        {
            _checked = true;
            CheckTrailer();
        }
        return n;
    }

    private void CheckTrailer()
    {
        if (_file.Length < 18) throw new InvalidDataException($"it has {_file.Length} bytes, fewer than a gzip header and trailer need");
        Span<byte> trailer = stackalloc byte[4];
        _file.Position = _file.Length - 4;
        _file.ReadExactly(trailer);
        uint lastMemberLength = (uint)(trailer[0] | trailer[1] << 8 | trailer[2] << 16 | trailer[3] << 24);
        // Past 4 GiB the modular ISIZE of a multi-member file can exceed the wrapped total, so only smaller files are judged.
        if (_length <= uint.MaxValue && lastMemberLength > _length)
            throw new InvalidDataException($"it ends early: its trailer promises {lastMemberLength} bytes, but only {_length} could be decompressed");
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _gzip.Dispose();
        base.Dispose(disposing);
    }
}
