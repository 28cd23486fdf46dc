using System;
using System.Text;

namespace ModelGen.Generators.Emit;

/// <summary>Builds generated source with consistent four-space indentation (lines end in \n on every platform).</summary>
internal sealed class IndentedWriter
{
    // One block large enough for a typical model's file: growing chunk by chunk cost a third of the emitters' time.
    private readonly StringBuilder _text = new(32 * 1024);
    private int _depth;

    public IndentedWriter Line(string line = "")
    {
        if (line.Length > 0) _text.Append(' ', _depth * 4).Append(line);
        _text.Append('\n');
        return this;
    }

    /// <summary>
    /// Writes a block of fixed text, typically a raw string literal (<c>"""…"""</c>, whose common indentation the compiler
    /// removes), line by line at the current indentation; its own indentation is kept relative to it.
    /// </summary>
    public IndentedWriter Lines(string text)
    {
        int start = 0;
        while (start <= text.Length)
        {
            int end = text.IndexOf('\n', start);
            if (end < 0) end = text.Length;
            int length = end - start;
            if (length > 0 && text[end - 1] == '\r') length--;
            Line(text.Substring(start, length));
            start = end + 1;
        }
        return this;
    }

    public IndentedWriter OpenBrace()
    {
        Line("{");
        _depth++;
        return this;
    }

    public IndentedWriter CloseBrace(string suffix = "")
    {
        _depth--;
        Line("}" + suffix);
        return this;
    }

    public IDisposable Block(string header)
    {
        Line(header);
        OpenBrace();
        return new Closer(this);
    }

    public IndentedWriter Indent() { _depth++; return this; }

    public IndentedWriter Outdent() { _depth--; return this; }

    /// <summary>Removes the last line when it is blank (after a list of members each followed by one).</summary>
    public IndentedWriter TrimTrailingBlankLine()
    {
        if (_text.Length >= 2 && _text[_text.Length - 1] == '\n' && _text[_text.Length - 2] == '\n') _text.Length--;
        return this;
    }

    public override string ToString() => _text.ToString();

    private sealed class Closer : IDisposable
    {
        private readonly IndentedWriter _writer;
        public Closer(IndentedWriter writer) => _writer = writer;
        public void Dispose() => _writer.CloseBrace();
    }
}
