namespace Trellis.Policy.Tests.Manifests;

/// <summary>A manifest file of the examples loaded as the CLI would load it when given alone with -f.</summary>
internal static class ManifestFile
{
    public static Trellis.Policy.Manifests.PolicySet Load(string path) =>
        Trellis.Policy.Manifests.ManifestLoader.LoadText(File.ReadAllText(path), Path.GetFileName(path));
}
