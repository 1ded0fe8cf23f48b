using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Trellis.Storage.Sqlite;

/// <summary>One prepared statement on a connection's handle, stepped row by row; a failure is the <see cref="SqliteException"/> Microsoft.Data.Sqlite throws.</summary>
internal sealed class SqliteRows : IDisposable
{
    private readonly sqlite3 db;

    public SqliteRows(sqlite3 db, string sql)
    {
        this.db = db;
        Check(raw.sqlite3_prepare_v2(db, sql, out var statement));
        Handle = statement;
    }

    public sqlite3_stmt Handle { get; }

    public void Bind(int index, string text) => Check(raw.sqlite3_bind_text(Handle, index, text));

    /// <summary>Whether there is one more row.</summary>
    public bool Step()
    {
        var rc = raw.sqlite3_step(Handle);
        if (rc == raw.SQLITE_ROW)
        {
            return true;
        }

        Check(rc);
        return false;
    }

    public void Dispose() => Handle?.Dispose();

    private void Check(int rc)
    {
        if (rc is not (raw.SQLITE_OK or raw.SQLITE_DONE))
        {
            SqliteException.ThrowExceptionForRC(rc, db);
        }
    }
}
