using System.Collections;

namespace Trellis.Policy.Connectivity;

/// <summary>
/// A square matrix of cells read through a function, row by row. The connectivity matrix hands out its cells this way
/// rather than holding every pair: 10,000 workloads would be 10⁸ references, most of them "No Connections".
/// </summary>
internal sealed class CellGrid(int size, Func<int, int, ConnectionSet?> cell) : IReadOnlyList<IReadOnlyList<ConnectionSet?>>
{
    public int Count => size;

    public IReadOnlyList<ConnectionSet?> this[int row] =>
        (uint)row < (uint)size ? new Row(this, row) : throw new ArgumentOutOfRangeException(nameof(row));

    public IEnumerator<IReadOnlyList<ConnectionSet?>> GetEnumerator()
    {
        for (var r = 0; r < size; r++)
        {
            yield return new Row(this, r);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private sealed class Row(CellGrid grid, int row) : IReadOnlyList<ConnectionSet?>
    {
        public int Count => grid.Count;

        public ConnectionSet? this[int column] =>
            (uint)column < (uint)grid.Count ? grid.Cell(row, column) : throw new ArgumentOutOfRangeException(nameof(column));

        public IEnumerator<ConnectionSet?> GetEnumerator()
        {
            for (var c = 0; c < grid.Count; c++)
            {
                yield return grid.Cell(row, c);
            }
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }

    private ConnectionSet? Cell(int row, int column) => cell(row, column);
}
