namespace Trellis.Rendering;

/// <summary>
/// One configuration file for a real component, at a relative path such as
/// <c>clusters/payments/load-balancers/load-balancer-1/haproxy.cfg</c>. Content uses LF line endings and is
/// the same, byte for byte, for the same state.
/// </summary>
public sealed record RenderedFile(string Path, string Content, string Component);
