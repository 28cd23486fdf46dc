using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.IO;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;

namespace ModelGen.Serialization;

/// <summary>
/// A safetensors file (Hugging Face's format): an 8-byte little-endian header length, a UTF-8 JSON header naming
/// each tensor's dtype, shape and byte range, then the raw little-endian data. <see cref="Read(string)"/> checks
/// everything the header claims against the real input before allocating anything from it, and reports any problem
/// as a <see cref="ModelFileException"/>; <see cref="Write"/> replaces the target atomically.
/// </summary>
public sealed class SafetensorsFile
{
    /// <summary>The header key of the optional string → string metadata object.</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>The largest header accepted (and written): 100,000,000 bytes, the reference implementation's limit.</summary>
    public const long MaxHeaderLength = 100_000_000;

    private readonly Dictionary<string, SafetensorsTensor> _byName;

    private SafetensorsFile(string source, List<SafetensorsTensor> tensors, Dictionary<string, string> metadata)
    {
        Source = source;
        Tensors = tensors.AsReadOnly();
        Metadata = new ReadOnlyDictionary<string, string>(metadata);
        _byName = new Dictionary<string, SafetensorsTensor>(tensors.Count, StringComparer.Ordinal);
        foreach (SafetensorsTensor tensor in tensors) _byName.Add(tensor.Name, tensor);
    }

    /// <summary>The path or source description the file was read from; messages name it.</summary>
    public string Source { get; }

    /// <summary>The tensors in header order.</summary>
    public IReadOnlyList<SafetensorsTensor> Tensors { get; }

    /// <summary>The "__metadata__" entries (empty when the header has none), in header order.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensor named <paramref name="name"/>.</summary>
    /// <exception cref="ModelFileException">The file has no such tensor.</exception>
    public SafetensorsTensor this[string name] =>
        _byName.TryGetValue(name, out SafetensorsTensor? tensor)
            ? tensor
            : throw new ModelFileException(Source, $"there is no tensor {SafetensorsHeader.Quote(name)} (the file has {_byName.Count})");

    /// <summary>Looks a tensor up by name.</summary>
    public bool TryGetTensor(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SafetensorsTensor? tensor) =>
        _byName.TryGetValue(name, out tensor);

    /// <summary>
    /// Reads and checks the file at <paramref name="path"/>. Header and tensors are read with positional reads; each
    /// tensor's buffer is allocated only after its range has been checked against the file's actual length.
    /// </summary>
    /// <exception cref="ModelFileException">The file is not a well-formed safetensors file; the message says why.</exception>
    /// <exception cref="FileNotFoundException">There is no such file (other I/O errors propagate as they are).</exception>
    public static SafetensorsFile Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        // FileShare.Delete lets an atomic save replace the file while it is being read (Windows); this handle keeps
        // reading the old content.
        using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        long fileLength = RandomAccess.GetLength(handle);
        if (fileLength < SafetensorsHeader.LengthPrefixSize)
            throw new ModelFileException(path, $"the file is {fileLength} bytes long; a safetensors file starts with an 8-byte header length");
        Span<byte> prefix = stackalloc byte[SafetensorsHeader.LengthPrefixSize];
        ReadExactly(handle, prefix, 0, path, "the header length");
        long headerLength = SafetensorsHeader.CheckLength(prefix, fileLength, path);
        var header = new byte[headerLength];
        ReadExactly(handle, header, SafetensorsHeader.LengthPrefixSize, path, "the header");
        long dataStart = SafetensorsHeader.LengthPrefixSize + headerLength;
        var (entries, metadata) = SafetensorsHeader.Parse(header, fileLength - dataStart, path);

        var tensors = new List<SafetensorsTensor>(entries.Count);
        foreach (SafetensorsEntry entry in entries)
        {
            byte[] bytes = AllocateTensor(entry, path);
            ReadExactly(handle, bytes, dataStart + entry.Begin, path, "tensor " + SafetensorsHeader.Quote(entry.Name));
            tensors.Add(SafetensorsTensor.FromValidatedFile(entry.Name, entry.DType, entry.Shape, entry.ElementCount, bytes, path));
        }
        return new SafetensorsFile(path, tensors, metadata);
    }

    /// <summary>Reads and checks a safetensors file held in memory.</summary>
    /// <param name="bytes">The whole file.</param>
    /// <param name="sourceName">What to call the input in messages, e.g. a resource name.</param>
    /// <exception cref="ModelFileException">The bytes are not a well-formed safetensors file; the message says why.</exception>
    public static SafetensorsFile Read(ReadOnlySpan<byte> bytes, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(sourceName);
        if (bytes.Length < SafetensorsHeader.LengthPrefixSize)
            throw new ModelFileException(sourceName, $"the input is {bytes.Length} bytes long; a safetensors file starts with an 8-byte header length");
        long headerLength = SafetensorsHeader.CheckLength(bytes, bytes.Length, sourceName);
        int dataStart = SafetensorsHeader.LengthPrefixSize + (int)headerLength;
        ReadOnlySpan<byte> data = bytes[dataStart..];
        var (entries, metadata) = SafetensorsHeader.Parse(bytes[SafetensorsHeader.LengthPrefixSize..dataStart], data.Length, sourceName);

        var tensors = new List<SafetensorsTensor>(entries.Count);
        foreach (SafetensorsEntry entry in entries)
        {
            byte[] copy = data.Slice((int)entry.Begin, (int)entry.ByteLength).ToArray();
            tensors.Add(SafetensorsTensor.FromValidatedFile(entry.Name, entry.DType, entry.Shape, entry.ElementCount, copy, sourceName));
        }
        return new SafetensorsFile(sourceName, tensors, metadata);
    }

    /// <summary>
    /// Reads and checks a safetensors file from <paramref name="stream"/>, from its current position to its end. The
    /// stream is read into memory first (up to 2 GB); prefer <see cref="Read(string)"/> for files.
    /// </summary>
    /// <param name="stream">The input; left open.</param>
    /// <param name="sourceName">What to call the input in messages.</param>
    /// <exception cref="ModelFileException">The input is not a well-formed safetensors file; the message says why.</exception>
    public static SafetensorsFile Read(Stream stream, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (stream is MemoryStream memory && memory.TryGetBuffer(out ArraySegment<byte> buffer))
        {
            int start = (int)memory.Position;
            memory.Position = memory.Length;
            return Read(buffer.AsSpan(Math.Min(start, buffer.Count)), sourceName);
        }
        // Copying grows the buffer only as bytes actually arrive, so a lying header cannot drive the allocation.
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return Read(copy.GetBuffer().AsSpan(0, (int)copy.Length), sourceName);
    }

    /// <summary>
    /// Writes <paramref name="tensors"/> and <paramref name="metadata"/> to <paramref name="path"/> atomically (see
    /// <see cref="AtomicFile.Write"/>): readers see the old file or the new one, never a mix, even if the process dies.
    /// </summary>
    /// <param name="path">The target file; replaced if it exists.</param>
    /// <param name="tensors">The tensors, with unique names; see <see cref="WriteTo"/> for the layout.</param>
    /// <param name="metadata">Optional string → string entries for "__metadata__", written sorted by key.</param>
    public static void Write(string path, IEnumerable<SafetensorsTensor> tensors, IEnumerable<KeyValuePair<string, string>>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var layout = Layout.Plan(tensors, metadata);
        AtomicFile.Write(path, layout.WriteTo);
    }

    /// <summary>
    /// Writes a safetensors file to <paramref name="stream"/>. The output depends only on the arguments: the header
    /// lists "__metadata__" first (keys sorted ordinally, omitted when empty), then the tensors in the order given,
    /// as compact JSON padded with spaces to a multiple of 8 bytes. The data places tensors with 8-byte elements
    /// first, then 4-, 2- and 1-byte ones, each group in the order given, so every tensor starts at a multiple of its
    /// element size within the file.
    /// </summary>
    /// <param name="stream">The output; left open.</param>
    /// <param name="tensors">The tensors, with unique names.</param>
    /// <param name="metadata">Optional string → string metadata.</param>
    /// <exception cref="ArgumentException">Two tensors share a name, metadata keys repeat, or the header would exceed <see cref="MaxHeaderLength"/>.</exception>
    public static void WriteTo(Stream stream, IEnumerable<SafetensorsTensor> tensors, IEnumerable<KeyValuePair<string, string>>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(tensors);
        Layout.Plan(tensors, metadata).WriteTo(stream);
    }

    /// <summary>The bytes <see cref="WriteTo"/> would write.</summary>
    /// <param name="tensors">The tensors, with unique names.</param>
    /// <param name="metadata">Optional string → string metadata.</param>
    public static byte[] ToBytes(IEnumerable<SafetensorsTensor> tensors, IEnumerable<KeyValuePair<string, string>>? metadata = null)
    {
        using var memory = new MemoryStream();
        WriteTo(memory, tensors, metadata);
        return memory.ToArray();
    }

    private static byte[] AllocateTensor(SafetensorsEntry entry, string path)
    {
        if (entry.ByteLength > Array.MaxLength)
            throw new ModelFileException(path, $"tensor {SafetensorsHeader.Quote(entry.Name)} is {entry.ByteLength} bytes; this reader holds at most {Array.MaxLength} bytes per tensor");
        return new byte[entry.ByteLength];
    }

    private static void ReadExactly(SafeFileHandle handle, Span<byte> destination, long offset, string path, string what)
    {
        while (!destination.IsEmpty)
        {
            int read = RandomAccess.Read(handle, destination, offset);
            if (read == 0)
                throw new ModelFileException(path, $"the file ended at byte {offset} while reading {what}; it was shortened while being read");
            destination = destination[read..];
            offset += read;
        }
    }

    /// <summary>The header bytes and the data order of one write, computed before anything is written.</summary>
    private sealed class Layout
    {
        private readonly byte[] _header;
        private readonly SafetensorsTensor[] _dataOrder;

        private Layout(byte[] header, SafetensorsTensor[] dataOrder)
        {
            _header = header;
            _dataOrder = dataOrder;
        }

        public static Layout Plan(IEnumerable<SafetensorsTensor> tensors, IEnumerable<KeyValuePair<string, string>>? metadata)
        {
            var list = new List<SafetensorsTensor>(tensors);
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (SafetensorsTensor tensor in list)
            {
                ArgumentNullException.ThrowIfNull(tensor, nameof(tensors));
                if (!names.Add(tensor.Name))
                    throw new ArgumentException($"Two tensors are named '{tensor.Name}'; names must be unique.", nameof(tensors));
            }
            var sortedMetadata = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var (key, value) in metadata ?? [])
            {
                ArgumentNullException.ThrowIfNull(key, nameof(metadata));
                ArgumentNullException.ThrowIfNull(value, nameof(metadata));
                if (!sortedMetadata.TryAdd(key, value))
                    throw new ArgumentException($"Metadata key '{key}' is given twice.", nameof(metadata));
            }

            // Wider elements first keeps every tensor aligned to its element size (the header ends on a multiple of 8).
            var dataOrder = new SafetensorsTensor[list.Count];
            int next = 0;
            foreach (int size in (ReadOnlySpan<int>)[8, 4, 2, 1])
                foreach (SafetensorsTensor tensor in list)
                    if (tensor.DType.ElementSize() == size) dataOrder[next++] = tensor;
            var begins = new Dictionary<string, long>(StringComparer.Ordinal);
            long offset = 0;
            foreach (SafetensorsTensor tensor in dataOrder)
            {
                begins.Add(tensor.Name, offset);
                offset += tensor.Bytes.Length;
            }

            var json = new ArrayBufferWriter<byte>();
            using (var writer = new Utf8JsonWriter(json, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = false }))
            {
                writer.WriteStartObject();
                if (sortedMetadata.Count > 0)
                {
                    writer.WriteStartObject(MetadataKey);
                    foreach (var (key, value) in sortedMetadata) writer.WriteString(key, value);
                    writer.WriteEndObject();
                }
                foreach (SafetensorsTensor tensor in list)
                {
                    writer.WriteStartObject(tensor.Name);
                    writer.WriteString("dtype", tensor.DType.HeaderName());
                    writer.WriteStartArray("shape");
                    foreach (long dim in tensor.Shape) writer.WriteNumberValue(dim);
                    writer.WriteEndArray();
                    writer.WriteStartArray("data_offsets");
                    long begin = begins[tensor.Name];
                    writer.WriteNumberValue(begin);
                    writer.WriteNumberValue(begin + tensor.Bytes.Length);
                    writer.WriteEndArray();
                    writer.WriteEndObject();
                }
                writer.WriteEndObject();
            }
            int unpadded = json.WrittenCount;
            int padded = (unpadded + 7) / 8 * 8;
            if (padded > MaxHeaderLength)
                throw new ArgumentException($"The header would be {padded} bytes, more than the {MaxHeaderLength} bytes readers accept.", nameof(tensors));
            var header = new byte[padded];
            json.WrittenSpan.CopyTo(header);
            header.AsSpan(unpadded).Fill((byte)' ');
            return new Layout(header, dataOrder);
        }

        public void WriteTo(Stream stream)
        {
            Span<byte> prefix = stackalloc byte[SafetensorsHeader.LengthPrefixSize];
            BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)_header.Length);
            stream.Write(prefix);
            stream.Write(_header);
            foreach (SafetensorsTensor tensor in _dataOrder) stream.Write(tensor.Bytes.Span);
        }
    }
}
