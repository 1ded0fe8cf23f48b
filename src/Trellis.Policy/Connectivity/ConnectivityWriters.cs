using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Trellis.Policy.Connectivity;

/// <summary>The connectivity list as text: one <c>src => dst : conns</c> line each, sorted.</summary>
public static class ConnectivityText
{
    public static string Write(ConnectivityReport report) => ToText(w => Write(ConnectivityLines.Of(report), w));

    /// <summary>Writes the lines as they come, a block of them at a time.</summary>
    public static void Write(ConnectivityLines lines, TextWriter output)
    {
        var sb = new StringBuilder();
        if (lines.Note is { } note)
        {
            sb.Append("# ").Append(note).Append('\n');
        }

        foreach (var line in lines.Lines)
        {
            sb.Append(line).Append('\n');
            Drain(sb, output);
        }

        Drain(sb, output, all: true);
    }

    /// <summary>Moves the text gathered so far to <paramref name="output"/> once there is a block of it (or <paramref name="all"/>).</summary>
    internal static void Drain(StringBuilder sb, TextWriter output, bool all = false)
    {
        if (sb.Length >= (all ? 1 : 1 << 15))
        {
            output.Write(sb);
            sb.Clear();
        }
    }

    internal static string ToText(Action<TextWriter> write)
    {
        using var text = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        write(text);
        return text.ToString();
    }
}

/// <summary>JSON as netpol-analyzer writes it: an array of {src, dst, conn}; a diff adds before, after, opened, closed.</summary>
public static class ConnectivityJson
{
    private static readonly JsonWriterOptions Options = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Write(ConnectivityReport report) => ConnectivityText.ToText(w => Write(ConnectivityLines.Of(report), w));

    /// <summary>Writes the lines as they come, a block of them at a time.</summary>
    public static void Write(ConnectivityLines lines, TextWriter output)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, Options))
        {
            w.WriteStartArray();
            foreach (var l in lines.Lines)
            {
                w.WriteStartObject();
                w.WriteString("src", l.Source);
                w.WriteString("dst", l.Destination);
                w.WriteString("conn", l.Connections.ToString());
                w.WriteEndObject();
                if (w.BytesPending >= 1 << 15)
                {
                    w.Flush();
                    output.Write(Encoding.UTF8.GetString(buffer.WrittenSpan));
                    buffer.ResetWrittenCount();
                }
            }

            w.WriteEndArray();
        }

        output.Write(Encoding.UTF8.GetString(buffer.WrittenSpan));
        output.Write('\n');
    }

    public static string Write(ConnectivityDiff diff) => Json(w =>
    {
        w.WriteStartArray();
        foreach (var l in diff.Lines)
        {
            w.WriteStartObject();
            w.WriteString("diff-type", l.Kind.ToString().ToLowerInvariant());
            w.WriteString("src", l.Source);
            w.WriteString("dst", l.Destination);
            w.WriteString("before", l.Before.ToString());
            w.WriteString("after", l.After.ToString());
            w.WriteString("opened", l.Opened.ToString());
            w.WriteString("closed", l.Closed.ToString());
            if (l.Info is { } info)
            {
                w.WriteString("info", info);
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
    });

    private static string Json(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, Options))
        {
            write(w);
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }
}

/// <summary>CSV with a src,dst,conn header (RFC 4180 quoting: connection lists hold commas).</summary>
public static class ConnectivityCsv
{
    public static string Write(ConnectivityReport report) => ConnectivityText.ToText(w => Write(ConnectivityLines.Of(report), w));

    /// <summary>Writes the lines as they come, a block of them at a time.</summary>
    public static void Write(ConnectivityLines lines, TextWriter output)
    {
        var sb = new StringBuilder("src,dst,conn\n");
        foreach (var l in lines.Lines)
        {
            sb.Append(Field(l.Source)).Append(',').Append(Field(l.Destination)).Append(',').Append(Field(l.Connections.ToString())).Append('\n');
            ConnectivityText.Drain(sb, output);
        }

        ConnectivityText.Drain(sb, output, all: true);
    }

    public static string Write(ConnectivityDiff diff)
    {
        var sb = new StringBuilder("diff-type,src,dst,before,after,opened,closed,info\n");
        foreach (var l in diff.Lines)
        {
            sb.AppendJoin(',', new[]
            {
                l.Kind.ToString().ToLowerInvariant(), l.Source, l.Destination, l.Before.ToString(), l.After.ToString(),
                l.Opened.ToString(), l.Closed.ToString(), l.Info ?? "",
            }.Select(Field)).Append('\n');
        }

        return sb.ToString();
    }

    private static string Field(string value) =>
        value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : value;
}
