using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Trellis.Policy.Connectivity;

/// <summary>The connectivity list as text: one <c>src => dst : conns</c> line each, sorted.</summary>
public static class ConnectivityText
{
    public static string Write(ConnectivityReport report)
    {
        var sb = new StringBuilder();
        if (report.Note is { } note)
        {
            sb.Append("# ").Append(note).Append('\n');
        }

        foreach (var line in report.Lines)
        {
            sb.Append(line).Append('\n');
        }

        return sb.ToString();
    }
}

/// <summary>JSON as netpol-analyzer writes it: an array of {src, dst, conn}; a diff adds before, after, opened, closed.</summary>
public static class ConnectivityJson
{
    public static string Write(ConnectivityReport report) => Json(w =>
    {
        w.WriteStartArray();
        foreach (var l in report.Lines)
        {
            w.WriteStartObject();
            w.WriteString("src", l.Source);
            w.WriteString("dst", l.Destination);
            w.WriteString("conn", l.Connections.ToString());
            w.WriteEndObject();
        }

        w.WriteEndArray();
    });

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
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            write(w);
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }
}

/// <summary>CSV with a src,dst,conn header (RFC 4180 quoting: connection lists hold commas).</summary>
public static class ConnectivityCsv
{
    public static string Write(ConnectivityReport report)
    {
        var sb = new StringBuilder("src,dst,conn\n");
        foreach (var l in report.Lines)
        {
            sb.Append(Field(l.Source)).Append(',').Append(Field(l.Destination)).Append(',').Append(Field(l.Connections.ToString())).Append('\n');
        }

        return sb.ToString();
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
