using Trellis.Engine.Contracts;

namespace Trellis.Engine;

public static partial class SiteViews
{
    /// <summary>
    /// The script that deploys the stored site on the real product: <c>deploy-akshci.ps1</c> (AksHci cmdlets; rehearsed in Trellis'
    /// module it plans the same addresses) or <c>deploy-aksarc.sh</c> (az commands). No file, and why, when no site is stored,
    /// the stored site does not resolve, or a value cannot be written (UnrenderableValue).
    /// </summary>
    public static RenderAnswer DeploymentScript(SiteState state, DeploymentScriptOptions? options = null)
    {
        if (state.Spec is null)
        {
            return new([], RequireSite(state));
        }

        var findings = Findings(state);
        if (Resolve(state) is null)
        {
            return new([], findings);
        }

        try
        {
            var (path, content) = DeploymentScriptWriter.Write(state.Spec, state.Revision, options ?? new());
            return new([new RenderedFile(path, content)], findings);
        }
        catch (Rendering.UnrenderableValueException refused)
        {
            return new([], [refused.Finding.ToContract()]);
        }
    }
}
