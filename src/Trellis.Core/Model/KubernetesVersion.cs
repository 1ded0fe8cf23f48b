using System.Globalization;
using System.Text.RegularExpressions;

namespace Trellis.Core.Model;

/// <summary>
/// A Kubernetes release, major.minor.patch. One parser ("v1.30.0" and "1.30.0" are the same release) and one printer
/// ("v1.30.0"), so that the way a version was written never looks like an upgrade.
/// </summary>
public readonly partial record struct KubernetesVersion(int Major, int Minor, int Patch) : IComparable<KubernetesVersion>
{
    [GeneratedRegex(@"^v?(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})\z")]
    private static partial Regex Pattern();

    public static bool TryParse(string? text, out KubernetesVersion version)
    {
        version = default;
        if (text is null || Pattern().Match(text) is not { Success: true } m)
        {
            return false;
        }

        version = new(Number(m.Groups[1].Value), Number(m.Groups[2].Value), Number(m.Groups[3].Value));
        return true;
    }

    /// <summary>The canonical text of a version; text that is not a version stays as it is, for validation to report.</summary>
    public static string Normalize(string text) => TryParse(text, out var version) ? version.ToString() : text;

    /// <summary>Kubernetes' skew rule: an upgrade moves to the next minor version at most (v1.29 → v1.30, not v1.31).</summary>
    public bool IsWithinOneMinorOf(KubernetesVersion from) => Major == from.Major && Minor <= from.Minor + 1;

    public string MinorText => string.Create(CultureInfo.InvariantCulture, $"v{Major}.{Minor}");

    public int CompareTo(KubernetesVersion other) =>
        Major != other.Major ? Major.CompareTo(other.Major) : Minor != other.Minor ? Minor.CompareTo(other.Minor) : Patch.CompareTo(other.Patch);

    public static bool operator <(KubernetesVersion a, KubernetesVersion b) => a.CompareTo(b) < 0;
    public static bool operator >(KubernetesVersion a, KubernetesVersion b) => a.CompareTo(b) > 0;
    public static bool operator <=(KubernetesVersion a, KubernetesVersion b) => a.CompareTo(b) <= 0;
    public static bool operator >=(KubernetesVersion a, KubernetesVersion b) => a.CompareTo(b) >= 0;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"v{Major}.{Minor}.{Patch}");

    private static int Number(string digits) => int.Parse(digits, CultureInfo.InvariantCulture);
}
