using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ModelGen.Serialization;

/// <summary>
/// A parsed JSON value, built with <see cref="Utf8JsonReader"/> (no reflection), that remembers its path in the document
/// so that every complaint can name the field at fault ("preprocessing.steps[2].scales"). Reading the tree is what
/// <see cref="PreprocessingJsonReader"/> does; this type only parses and describes.
/// </summary>
internal sealed class PreprocessingJsonTree
{
    private readonly List<KeyValuePair<string, PreprocessingJsonTree>>? _fields;
    private readonly List<PreprocessingJsonTree>? _items;

    private PreprocessingJsonTree(JsonTokenType kind, string path, string? text,
        List<KeyValuePair<string, PreprocessingJsonTree>>? fields, List<PreprocessingJsonTree>? items)
    {
        Kind = kind;
        Path = path;
        Text = text;
        _fields = fields;
        _items = items;
    }

    /// <summary>StartObject, StartArray, String, Number, True, False or Null.</summary>
    public JsonTokenType Kind { get; }

    /// <summary>Where the value sits, e.g. <c>preprocessing.steps[2]</c>; empty for the root.</summary>
    public string Path { get; }

    /// <summary>A string's value or a number's text as written.</summary>
    public string? Text { get; }

    /// <summary>An object's fields in document order.</summary>
    public IReadOnlyList<KeyValuePair<string, PreprocessingJsonTree>> Fields => _fields ?? [];

    /// <summary>An array's items.</summary>
    public IReadOnlyList<PreprocessingJsonTree> Items => _items ?? [];

    /// <summary>The path of field <paramref name="name"/> of an object at <paramref name="path"/>.</summary>
    public static string FieldPath(string path, string name) => path.Length == 0 ? name : path + "." + name;

    /// <summary>What the value is, for "found …" in messages: "an object", "an array of 4 items", "the string \"x\"", "the number 3", "null".</summary>
    public string Describe() => Kind switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => Items.Count == 1 ? "an array of 1 item" : string.Create(CultureInfo.InvariantCulture, $"an array of {Items.Count} items"),
        JsonTokenType.String => "the string \"" + Shorten(Text!) + "\"",
        JsonTokenType.Number => "the number " + Shorten(Text!),
        JsonTokenType.True => "true",
        JsonTokenType.False => "false",
        _ => "null",
    };

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "…";

    /// <summary>Parses UTF-8 JSON (a leading byte-order mark is skipped); throws <see cref="ModelFileException"/> for anything that is not one well-formed JSON value.</summary>
    /// <param name="utf8">The document.</param>
    /// <param name="source">The file or source named in errors.</param>
    public static PreprocessingJsonTree Parse(ReadOnlySpan<byte> utf8, string source)
    {
        if (utf8.StartsWith("\uFEFF"u8)) utf8 = utf8[3..];
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, AllowTrailingCommas = false, MaxDepth = 64 });
        try
        {
            if (!reader.Read()) throw new ModelFileException(source, "the document is empty; expected a JSON object");
            var root = ReadValue(ref reader, "", source);
            // The reader itself rejects text after the value; this only guards the contract.
            if (reader.Read()) throw new ModelFileException(source, "text follows the document's last closing bracket; expected one JSON value");
            return root;
        }
        catch (JsonException e)
        {
            // The reader's message says what it expected and where (line and byte position).
            throw new ModelFileException(source, "the document is not well-formed JSON: " + e.Message, e);
        }
        catch (InvalidOperationException e)
        {
            // Strings that are not valid UTF-8 fail when they are transcoded.
            throw new ModelFileException(source, "the document is not valid UTF-8 JSON: " + e.Message, e);
        }
    }

    private static PreprocessingJsonTree ReadValue(ref Utf8JsonReader reader, string path, string source)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
            {
                var fields = new List<KeyValuePair<string, PreprocessingJsonTree>>();
                var names = new HashSet<string>(StringComparer.Ordinal);
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    string name = reader.GetString()!;
                    string fieldPath = FieldPath(path, name);
                    if (!names.Add(name))
                        throw new ModelFileException(source, $"{fieldPath}: the field appears twice in the same object; expected each field once");
                    reader.Read();
                    fields.Add(new(name, ReadValue(ref reader, fieldPath, source)));
                }
                return new(JsonTokenType.StartObject, path, null, fields, null);
            }
            case JsonTokenType.StartArray:
            {
                var items = new List<PreprocessingJsonTree>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    items.Add(ReadValue(ref reader, path + "[" + items.Count.ToString(CultureInfo.InvariantCulture) + "]", source));
                return new(JsonTokenType.StartArray, path, null, null, items);
            }
            case JsonTokenType.String:
                return new(JsonTokenType.String, path, reader.GetString(), null, null);
            case JsonTokenType.Number:
                return new(JsonTokenType.Number, path, Encoding.UTF8.GetString(reader.ValueSpan), null, null);
            case JsonTokenType.True:
            case JsonTokenType.False:
            case JsonTokenType.Null:
                return new(reader.TokenType, path, null, null, null);
            default:
                throw new ModelFileException(source, $"{(path.Length == 0 ? "the document" : path)}: unexpected JSON token {reader.TokenType}");
        }
    }
}
