// The Trellis dashboard: views of the API, read with the signed-in token (sessionStorage, sent as a Bearer header), redrawn
// when the site's revision changes (server-sent events read with fetch, which can send the header; EventSource cannot).
'use strict';

const TOKEN_KEY = 'trellis.token';
const api = '/api/v1';
let current = null; // the view on screen: { stop() }

// ---- DOM, without innerHTML: every value is text.
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}
const $ = sel => document.querySelector(sel);
const enc = encodeURIComponent;
const pct = r => `${(r * 100).toFixed(r > 0 && r < 0.01 ? 2 : 0)} %`;

// ---- Access.
const token = () => sessionStorage.getItem(TOKEN_KEY);
class ApiError extends Error {
  constructor(status, problem) { super(problem?.detail || problem?.title || `HTTP ${status}`); this.status = status; this.problem = problem; }
}
async function get(path, signal) {
  const response = await fetch(api + path, { headers: { Authorization: `Bearer ${token()}`, Accept: 'application/json' }, signal, cache: 'no-store' });
  if (response.status === 401) { signOut('Your token was refused (expired, revoked or unknown): sign in again.'); throw new ApiError(401); }
  const body = response.headers.get('content-type')?.includes('json') ? await response.json() : await response.text();
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}
async function post(path, body, signal) {
  const response = await fetch(api + path, {
    method: 'POST', signal, cache: 'no-store',
    headers: { Authorization: `Bearer ${token()}`, Accept: 'application/json', 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status === 401) { signOut('Your token was refused: sign in again.'); throw new ApiError(401); }
  const json = response.headers.get('content-type')?.includes('json') ? await response.json() : null;
  if (!response.ok) throw new ApiError(response.status, json);
  return json;
}
function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  if (current) { current.stop(); current = null; }
  showSignIn(message);
}
function showSignIn(message) {
  $('#signin-view').hidden = false;
  $('#view').replaceChildren();
  $('#signout').hidden = true;
  setLive(null);
  crumbs([]);
  const error = $('#signin-error');
  error.hidden = !message;
  error.textContent = message || '';
}
async function signIn(event) {
  event.preventDefault();
  const value = $('#token').value.trim();
  if (!value) return;
  sessionStorage.setItem(TOKEN_KEY, value);
  try {
    await get('/sites');
  } catch (e) {
    if (e.status !== 401) { sessionStorage.removeItem(TOKEN_KEY); showSignIn(`Sign-in failed: ${e.message}`); }
    return;
  }
  $('#token').value = '';
  $('#signin-view').hidden = true;
  route();
}

// ---- Live updates: the site's revision events, read from a fetch stream; reconnects with Last-Event-ID.
function watch(site, onRevision) {
  const abort = new AbortController();
  let last = null;
  let stopped = false;
  setLive(false);
  (async () => {
    while (!stopped) {
      try {
        const headers = { Authorization: `Bearer ${token()}`, Accept: 'text/event-stream' };
        if (last !== null) headers['Last-Event-ID'] = last;
        const response = await fetch(`${api}/sites/${enc(site)}/events`, { headers, signal: abort.signal, cache: 'no-store' });
        if (response.status === 401) { signOut('Your token was refused: sign in again.'); return; }
        if (!response.ok || !response.body) throw new Error(`events: HTTP ${response.status}`);
        setLive(true);
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const event = { id: null, type: 'message', data: [] };
            for (const line of block.split('\n')) {
              const colon = line.indexOf(':');
              const field = colon < 0 ? line : line.slice(0, colon);
              const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
              if (field === 'id') event.id = text; else if (field === 'event') event.type = text; else if (field === 'data') event.data.push(text);
            }
            if (event.type === 'revision' && event.data.length) {
              const first = last === null;
              last = event.id;
              if (!first) onRevision(JSON.parse(event.data.join('\n')).revision);
            }
          }
        }
      } catch (e) {
        if (stopped || e.name === 'AbortError') return;
      }
      setLive(false);
      if (!stopped) await new Promise(r => setTimeout(r, 1000));
    }
  })();
  return () => { stopped = true; abort.abort(); setLive(null); };
}
// live: the site's changes stream in; offline: the stream broke and is being reopened; hidden (null): this page watches nothing.
function setLive(on) {
  const live = $('#live');
  live.hidden = on === null;
  live.classList.toggle('on', on === true);
  live.classList.toggle('off', !on);
  live.textContent = on ? 'live' : 'offline';
}

// ---- Pieces.
function crumbs(parts) {
  const nav = $('#crumbs');
  nav.replaceChildren(...parts.flatMap((p, i) => [i ? h('span', { class: 'sep' }, '/') : null, p.href ? h('a', { href: p.href }, p.text) : h('span', {}, p.text)]).filter(Boolean));
}
function badge(level) { return h('span', { class: `badge ${level}`, 'data-level': level }, level === 'Ok' ? 'ok' : level.toLowerCase()); }
function poolBar(pool) {
  const fill = h('span', { class: 'fill' });
  fill.style.width = `${Math.min(100, pool.utilization * 100)}%`;
  return h('div', { class: `pool ${pool.level}`, 'data-pool': pool.pool, title: `${pool.description}: ${pool.allocated} of ${pool.size} held, ${pool.free} free` },
    h('span', { class: 'name' }, pool.pool),
    h('span', { class: 'bar', role: 'meter', 'aria-valuenow': pool.allocated, 'aria-valuemin': 0, 'aria-valuemax': pool.size, 'aria-label': pool.pool }, fill),
    h('span', { class: 'count' }, `${pool.allocated} / ${pool.size}`));
}
function table(columns, rows, attrs) {
  if (!rows.length) return h('p', { class: 'empty' }, 'none');
  return h('div', { class: 'table' }, h('table', { class: 'data', ...attrs },
    h('thead', {}, h('tr', {}, columns.map(c => h('th', {}, c[0])))),
    h('tbody', {}, rows.map(r => h('tr', {}, columns.map(c => h('td', {}, c[1](r) ?? '')))))));
}
function alertList(alerts) {
  if (!alerts.length) return h('p', { class: 'empty', 'data-alerts': 0 }, 'No alerts.');
  return h('ul', { class: 'alerts', 'data-alerts': alerts.length },
    alerts.map(a => h('li', { class: a.level, 'data-pool': a.pool, 'data-kind': a.kind }, a.message, h('span', { class: 'hint' }, a.hint))));
}
function failure(e) { return h('p', { class: 'error', role: 'alert' }, e.status === 403 ? 'This token may not read this.' : `Could not load: ${e.message}`); }

// ---- IPv4 ranges of the address map (other pools list what is held).
function ipv4(text) {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some(p => !/^\d{1,3}$/.test(p) || +p > 255)) return null;
  return parts.reduce((n, p) => n * 256 + +p, 0);
}
const ipText = n => [24, 16, 8, 0].map(s => Math.floor(n / 2 ** s) % 256).join('.');
function range(text) {
  if (!text) return null;
  const [a, b] = text.split('-');
  const first = ipv4(a), last = ipv4(b ?? a);
  return first === null || last === null || last < first ? null : { first, last };
}
const MAX_CELLS = 2048;
function addressMap(title, poolId, rangeText, allocations, detail) {
  const held = new Map(allocations.filter(a => a.pool === poolId).map(a => [a.address, a]));
  const r = range(rangeText);
  const addresses = r && r.last - r.first < MAX_CELLS
    ? Array.from({ length: r.last - r.first + 1 }, (_, i) => ipText(r.first + i))
    : [...held.keys()];
  const cells = addresses.map(address => {
    const a = held.get(address);
    const kind = a ? a.owner.split('/')[0] : 'free';
    const text = a ? `${address} — ${a.owner}${a.detail ? ` (${a.detail})` : ''}` : `${address} — free`;
    return h('button', {
      type: 'button', class: a ? `addr held k-${kind}` : 'addr', 'data-address': address, 'data-owner': a?.owner, title: text, 'aria-label': text,
      onclick: e => { document.querySelectorAll('.addr.sel').forEach(c => c.classList.remove('sel')); e.currentTarget.classList.add('sel'); detail.textContent = text; },
    });
  });
  return h('div', { class: 'addrblock' },
    h('div', { class: 'meta' }, `${title} ${rangeText ?? ''} — ${held.size} of ${addresses.length} held`),
    h('div', { class: 'addrmap', 'data-pool': poolId }, cells));
}

// ---- Views.
// The fleet: each readable site's health, its fullest pools and its policy compliance (GET /governance/compliance: its own
// and the fleet's assignments), then the fleet's own assignments (GET /governance), which apply to every site as fleet/<name>.
async function fleetView(signal) {
  crumbs([{ text: 'Fleet' }]);
  const [sites, compliance, governance] = await Promise.all([get('/alerts', signal), get('/governance/compliance', signal), get('/governance', signal)]);
  const reports = new Map((compliance.sites ?? []).map(c => [c.name, c.report]));
  const view = h('div', {}, h('h1', {}, 'Fleet'));
  if (!sites.length) view.append(h('p', { class: 'empty' }, 'No sites this token may read.'));
  view.append(h('div', { class: 'grid', id: 'sites' }, sites.map(s => {
    const pools = [...s.pools].filter(p => p.size > 1).sort((a, b) => b.utilization - a.utilization).slice(0, 5);
    return h('article', { class: 'card site', 'data-site': s.name },
      h('h2', {}, h('a', { href: `#/sites/${enc(s.name)}` }, s.name), ' ', badge(s.level)),
      h('p', { class: 'meta' }, s.site ? `site ${s.site} · revision ${s.revision} · ${s.alerts.length} alert${s.alerts.length === 1 ? '' : 's'}` : `nothing applied yet · revision ${s.revision}`),
      pools.map(poolBar),
      siteCompliance(s.name, reports.get(s.name)));
  })));
  const assignments = governance.assignments ?? [];
  view.append(h('section', { class: 'card wide', id: 'fleet-policies' }, h('h2', {}, 'Fleet policies'),
    assignments.length
      ? [h('p', { class: 'meta' }, `Applied to every site as fleet/<name>; ${compliance.nonCompliant} non-compliant item${compliance.nonCompliant === 1 ? '' : 's'} across the sites shown.`),
        table([['assignment', a => a.name], ['definition', a => a.definition], ['effect', a => a.effect],
          ['scope', a => a.cluster || a.namespace ? [a.cluster ? `cluster ${a.cluster}` : null, a.namespace ? `namespace ${a.namespace}` : null].filter(Boolean).join(', ') : 'every site'],
          ['exemptions', a => a.exemptions.length]], assignments, { id: 'fleet-assignments' })]
      : h('p', { class: 'empty' }, 'No fleet policies: an Admin stores them with ', h('code', {}, `POST ${api}/governance`), ' (docs/governance.md).')));
  return view;
}

// A site's compliance on its fleet card: the counts, and whether a Deny is broken there; a link to the site's report.
function siteCompliance(site, report) {
  if (!report) return null;
  const judged = report.compliant + report.nonCompliant + report.exempt;
  const denied = report.assignments.some(a => a.effect === 'Deny' && a.nonCompliant > 0);
  return h('p', { class: `compliance ${report.nonCompliant ? 'broken' : ''}`, 'data-non-compliant': report.nonCompliant, 'data-denied': String(denied) },
    h('a', { href: `#/sites/${enc(site)}/compliance` }, 'policy'), ': ',
    judged === 0 ? 'nothing judged'
      : `${report.compliant} compliant, ${report.nonCompliant} non-compliant, ${report.exempt} exempt`,
    denied ? h('span', { class: 'state NonCompliant' }, ' Deny broken') : null);
}

async function siteView(site, signal) {
  crumbs([{ text: 'Fleet', href: '#/' }, { text: site }]);
  const s = `/sites/${enc(site)}`;
  const [health, networks, clusters, nodepools, services, allocations] = await Promise.all([
    get(`${s}/alerts`, signal), get(`${s}/networks`, signal), get(`${s}/clusters`, signal), get(`${s}/nodepools`, signal),
    get(`${s}/services`, signal), get(`${s}/allocations`, signal)]);
  const detail = h('div', { class: 'addr-detail', id: 'addr-detail', 'aria-live': 'polite' }, 'Select an address to see who holds it.');
  const poolsById = new Map(health.pools.map(p => [p.pool, p]));
  return h('div', { 'data-revision': health.revision, id: 'site' },
    h('h1', {}, site, ' ', badge(health.level), ' ', h('span', { class: 'meta' }, `${health.site ?? 'nothing applied'} · revision `, h('span', { id: 'revision' }, health.revision))),
    h('div', { class: 'grid' },
      h('section', { class: 'card', id: 'alerts' }, h('h2', {}, 'Alerts'), alertList(health.alerts)),
      h('section', { class: 'card', id: 'pools' }, h('h2', {}, 'Pools'), health.pools.map(poolBar)),
      h('section', { class: 'card wide', id: 'networks' }, h('h2', {}, 'Networks'),
        table([['name', n => n.name], ['kind', n => n.kind], ['method', n => n.method], ['prefix', n => n.prefix], ['gateway', n => n.gateway], ['VLAN', n => n.vlan],
          ['node IP pool', n => n.nodeIpPool], ['VIP pool', n => n.vipPool], ['DHCP scope', n => n.dhcpScope]], networks),
        networks.map(n => ['nodes', 'vips', 'dhcp'].map(k => poolsById.get(`net/${n.name}/${k}`)).filter(Boolean).map(poolBar))),
      h('section', { class: 'card wide', id: 'address-map' }, h('h2', {}, 'Address map'),
        h('div', { class: 'legend' }, [['free', 'free'], ['k-cluster', 'cluster: VM, update address, API server VIP'], ['k-service', 'service VIP'], ['k-management', 'management'], ['k-reservation', 'reservation, cloud agent']]
          .map(([c, t]) => h('span', {}, h('i', { class: c }), t))),
        networks.map(n => h('div', { 'data-network': n.name },
          h('h3', { class: 'meta' }, n.name),
          n.nodeIpPool ? addressMap('node IP pool', `net/${n.name}/nodes`, n.nodeIpPool, allocations, detail) : null,
          n.dhcpScope ? addressMap('DHCP scope', `net/${n.name}/dhcp`, n.dhcpScope, allocations, detail) : null,
          n.vipPool ? addressMap('VIP pool', `net/${n.name}/vips`, n.vipPool, allocations, detail) : null)),
        detail),
      h('section', { class: 'card wide', id: 'clusters' }, h('h2', {}, 'Clusters'),
        table([['name', c => c.name], ['network', c => c.network], ['version', c => c.kubernetesVersion], ['plugin', c => c.networkPlugin],
          ['control plane', c => c.controlPlaneNodeCount], ['workers', c => c.workerCount], ['API server VIP', c => c.apiServerVip],
          ['load balancer', c => `${c.loadBalancerSku}${c.loadBalancerCount ? ` × ${c.loadBalancerCount}` : ''}`],
          ['policy', c => h('a', { href: `#/sites/${enc(site)}/clusters/${enc(c.name)}/policy` }, 'matrix & trace')]], clusters)),
      h('section', { class: 'card wide', id: 'nodepools' }, h('h2', {}, 'Node pools'),
        table([['cluster', p => p.cluster], ['name', p => p.name], ['OS', p => p.osType], ['count', p => p.count], ['VM size', p => p.vmSize]], nodepools)),
      h('section', { class: 'card wide', id: 'load-balancers' }, h('h2', {}, 'Load balancers'),
        table([['cluster', v => v.cluster], ['service', v => `${v.namespace}/${v.name}`], ['VIP', v => v.vip], ['ports', v => `${v.protocol} ${v.ports.join(', ')}`], ['shared', v => v.sharedIpKey]], services)),
      h('section', { class: 'card wide links' }, h('a', { href: `#/sites/${enc(site)}/compliance`, id: 'compliance-link' }, 'Policy compliance →'),
        h('a', { href: `#/sites/${enc(site)}/audit` }, 'Audit log →'))));
}

async function auditView(site, signal) {
  crumbs([{ text: 'Fleet', href: '#/' }, { text: site, href: `#/sites/${enc(site)}` }, { text: 'audit' }]);
  const entries = await get(`/sites/${enc(site)}/audit?last=200`, signal);
  return h('div', { id: 'audit' }, h('h1', {}, `Audit log of ${site}`),
    h('section', { class: 'card wide' }, table([['revision', e => e.revision], ['time', e => new Date(e.time).toLocaleString()], ['who', e => e.actor ?? '—'],
      ['command', e => e.command], ['plan', e => e.plan ?? '—'], ['change', e => e.summary], ['+', e => e.added], ['−', e => e.removed]], [...entries].reverse(), { id: 'audit-log' })));
}

async function policyView(site, cluster, signal) {
  crumbs([{ text: 'Fleet', href: '#/' }, { text: site, href: `#/sites/${enc(site)}` }, { text: `${cluster} policy` }]);
  const base = `/sites/${enc(site)}/clusters/${enc(cluster)}`;
  const view = h('div', { id: 'policy' }, h('h1', {}, `Network policy of ${cluster}`));
  const heat = h('section', { class: 'card wide', id: 'heatmap' }, h('h2', {}, 'Who can reach whom'));
  view.append(heat);
  try {
    const response = await fetch(`${api}${base}/policy/matrix?format=html`, { headers: { Authorization: `Bearer ${token()}`, Accept: 'text/html' }, signal, cache: 'no-store' });
    if (!response.ok) throw new ApiError(response.status, response.headers.get('content-type')?.includes('json') ? await response.json() : null);
    // The findings the CLI prints beside a matrix (PolicyNotEnforced on Flannel: everything is allowed) come as codes in a header.
    const findings = response.headers.get('Trellis-Findings');
    if (findings) heat.append(h('p', { class: 'meta', id: 'heatmap-findings' }, `Findings: ${findings} — `, h('code', {}, `POST ${api}/sites/${site}/policy/lint`), ' explains each.'));
    // The page runs in a sandboxed frame (no access to this page or its token), under this page's policy, which allows its two inline blocks by hash.
    heat.append(h('iframe', { class: 'heatmap-frame', sandbox: 'allow-scripts', title: `connectivity of ${cluster}`, srcdoc: await response.text() }));
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    // 422 NothingToAnalyse: nothing is stored for the cluster, or what is stored has no workload to draw.
    const nothing = e.status === 422 && e.problem?.findings?.some(f => f.code === 'NothingToAnalyse');
    heat.append(nothing ? h('p', { class: 'empty' }, `No workloads are in the manifests stored for ${cluster}: PUT ${api}${base}/policies stores them.`) : failure(e));
  }
  const result = h('div', { id: 'trace-result' });
  const from = h('input', { id: 'trace-from', required: true, placeholder: 'shop/web or 10.0.0.5' });
  const to = h('input', { id: 'trace-to', required: true, placeholder: 'shop/db' });
  const port = h('input', { id: 'trace-port', required: true, placeholder: 'tcp/5432' });
  view.append(h('section', { class: 'card wide trace', id: 'trace' }, h('h2', {}, 'Trace a packet'),
    h('form', {
      id: 'trace-form',
      onsubmit: async e => {
        e.preventDefault();
        result.replaceChildren(h('p', { class: 'meta' }, 'tracing…'));
        try {
          const body = { from: from.value.trim(), to: to.value.trim(), port: port.value.trim() };
          result.replaceChildren(traceDrawing(await post(`${base}/policy/trace`, body)));
        } catch (err) {
          result.replaceChildren(err.problem?.findings ? h('ul', { class: 'alerts' }, err.problem.findings.map(f => h('li', { class: 'Critical' }, `${f.code}: ${f.message}`, h('span', { class: 'hint' }, f.hint ?? '')))) : failure(err));
        }
      },
    }, h('label', {}, 'from', from), h('label', {}, 'to', to), h('label', {}, 'port', port), h('button', { type: 'submit' }, 'Trace')),
    result));
  return view;
}

// ---- Compliance: the report of GET …/compliance (trellis policy compliance -o json), in the API's order: the totals, then
// per assignment its definition, effect and scope and each item judged, Compliant, NonCompliant with the reason, or Exempt
// with the exemption's reason and end. A Deny assignment's non-compliant item is what refuses changes that worsen it: marked.
// Returns the view and the earliest end of an exemption shown (the report changes then without a new revision).
const utc = text => { const d = new Date(text); return isNaN(d) ? text : `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`; };
async function complianceView(site, signal) {
  crumbs([{ text: 'Fleet', href: '#/' }, { text: site, href: `#/sites/${enc(site)}` }, { text: 'compliance' }]);
  const s = `/sites/${enc(site)}`;
  const [report, stored] = await Promise.all([get(`${s}/compliance`, signal), get(`${s}/governance`, signal)]);
  const descriptions = new Map((stored.assignments ?? []).map(a => [a.name, a.description]));
  const findings = report.findings ?? [];
  const assignments = report.assignments ?? [];
  const denied = assignments.filter(a => a.effect === 'Deny' && a.nonCompliant > 0);
  const ends = assignments.flatMap(a => a.items).filter(i => i.state === 'Exempt' && i.exemptUntil).map(i => Date.parse(i.exemptUntil)).filter(t => !isNaN(t));
  const count = (n, one, many) => `${n} ${n === 1 ? one : many}`;
  const view = h('div', { id: 'compliance', 'data-site': site },
    h('h1', {}, `Policy compliance of ${site}`, ' ', h('span', { class: 'meta' }, report.site ? `site ${report.site}` : 'nothing applied')),
    h('p', { class: 'totals', id: 'compliance-totals', 'data-compliant': report.compliant, 'data-non-compliant': report.nonCompliant, 'data-exempt': report.exempt },
      h('span', { class: 'state Compliant' }, `${report.compliant} compliant`),
      h('span', { class: 'state NonCompliant' }, `${report.nonCompliant} non-compliant`),
      h('span', { class: 'state Exempt' }, `${report.exempt} exempt`),
      h('span', { class: 'meta' }, ` · ${count(assignments.length, 'assignment', 'assignments')} · read ${utc(new Date().toISOString())}`)),
    denied.length ? h('p', { class: 'denied-banner', id: 'compliance-denied', role: 'alert' },
      `Deny broken: ${denied.map(a => a.assignment).join(', ')}. Changes that make these items worse are refused (PolicyDenied); `,
      h('code', {}, 'trellis policy compliance'), ' exits 1.') : null,
    findings.length ? h('section', { class: 'card wide', id: 'compliance-findings' }, h('h2', {}, 'Findings'),
      h('ul', { class: 'alerts' }, findings.map(f => h('li', { class: f.severity === 'Error' ? 'Critical' : 'Warning', 'data-code': f.code },
        `${f.code} (${f.path}): ${f.message}`, h('span', { class: 'hint' }, f.hint ?? ''))))) : null,
    assignments.length
      ? h('div', { class: 'grid' }, assignments.map(a => assignmentCard(a, descriptions.get(a.assignment))))
      : h('section', { class: 'card wide', id: 'compliance-empty' }, h('p', { class: 'empty' }, 'No assignments: this site has no enabled policy assignment, so nothing is judged.'),
        h('p', { class: 'meta' }, 'Store some with ', h('code', {}, 'trellis policy apply -f FILE'), ' or ', h('code', {}, `POST ${api}/sites/${site}/commands/policy-apply`),
          ' (docs/governance.md). Disabled assignments are kept but not judged.')));
  return { view, nextEnd: ends.length ? Math.min(...ends) : null };
}
function assignmentCard(a, description) {
  const deny = a.effect === 'Deny';
  return h('section', { class: `card wide assignment ${deny && a.nonCompliant > 0 ? 'broken' : ''}`, 'data-assignment': a.assignment, 'data-effect': a.effect },
    h('h2', {}, h('span', { class: 'name' }, a.assignment), ' ', h('span', { class: `effect ${a.effect}` }, a.effect)),
    description ? h('p', { class: 'description' }, description) : null,
    h('p', { class: 'meta' }, 'definition ', h('code', { class: 'definition' }, a.definition), ` · scope ${a.scope} · `,
      h('span', { class: 'counts' }, `${a.compliant} compliant, ${a.nonCompliant} non-compliant, ${a.exempt} exempt`)),
    a.items.length
      ? h('div', { class: 'table' }, h('table', { class: 'data items' },
        h('thead', {}, h('tr', {}, ['item', 'state', 'reason', 'path'].map(c => h('th', {}, c)))),
        h('tbody', {}, a.items.map(i => {
          const nc = i.state === 'NonCompliant';
          return h('tr', { class: `${i.state}${nc && deny ? ' deny' : ''}`, 'data-item': i.item, 'data-state': i.state },
            h('td', { class: 'item' }, i.item),
            h('td', { class: 'status' }, h('span', { class: `state ${i.state}` }, nc ? (deny ? 'Non-compliant · Deny' : 'Non-compliant') : i.state === 'Exempt' ? 'Exempt' : 'Compliant')),
            h('td', { class: 'reason' }, i.state === 'Exempt'
              ? [h('span', { class: 'exemption' }, i.exemption ?? ''), h('span', { class: 'until', 'data-until': i.exemptUntil }, i.exemptUntil ? ` until ${utc(i.exemptUntil)}` : ' (no end)'),
                i.reason ? h('span', { class: 'hint' }, `otherwise: ${i.reason}`) : null]
              : i.reason ?? ''),
            h('td', { class: 'path' }, h('code', {}, i.path)));
        }))))
      : h('p', { class: 'empty' }, 'Judges no item of this site (the rules about Kubernetes manifests judge only the manifests given: trellis policy compliance -f).'));
}

// A trace document (the CLI's trace -o json): whether the packet is delivered, then each hop as a box, in order: where it
// is, what happens there, the verdict taken there and the facts behind it; a dropping hop is red.
function traceDrawing(trace) {
  return h('div', {},
    h('p', { class: `verdict ${trace.delivered ? 'allowed' : 'denied'}`, id: 'trace-verdict', 'data-delivered': String(trace.delivered) },
      trace.delivered ? 'Delivered' : 'Dropped', ` — ${trace.question}`),
    h('ol', { class: 'hops', id: 'trace-hops' }, trace.hops.flatMap((hop, i) => [
      i ? h('li', { class: 'arrow', 'aria-hidden': 'true' }, '→') : null,
      h('li', { class: `hop ${hop.dropped ? 'denied' : 'allowed'}`, 'data-where': hop.where },
        h('span', { class: 'what' }, hop.where),
        h('span', { class: 'why' }, hop.what, hop.verdict ? ` — ${hop.verdict}` : ''),
        (hop.facts ?? []).map(f => h('span', { class: 'why' }, f))),
    ])),
    (trace.notes ?? []).map(n => h('p', { class: 'meta' }, n)));
}

// ---- Routing: #/, #/sites/S, #/sites/S/audit, #/sites/S/compliance, #/sites/S/clusters/C/policy.
async function route() {
  if (current) { current.stop(); current = null; }
  if (!token()) { showSignIn(); return; }
  $('#signin-view').hidden = true;
  $('#signout').hidden = false;
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const abort = new AbortController();
  let unwatch = null;
  let poll = null;
  let expiry = null;
  const me = { stop: () => { abort.abort(); unwatch?.(); clearInterval(poll); clearTimeout(expiry); } };
  current = me;
  let render;
  if (parts[0] === 'sites' && parts[1]) {
    const site = parts[1];
    render = parts[2] === 'audit' ? () => auditView(site, abort.signal)
      : parts[2] === 'compliance' ? async () => {
        // Redrawn too when an exemption shown ends (the server judges at its time: no new revision); one already past by
        // this browser's clock is looked at again after a while, in case the server's clock is behind.
        const { view, nextEnd } = await complianceView(site, abort.signal);
        clearTimeout(expiry);
        if (nextEnd !== null && current === me) {
          const wait = nextEnd - Date.now() + 1000;
          expiry = setTimeout(() => draw(render, me), wait > 0 ? Math.min(2 ** 31 - 1, wait) : 30_000);
        }
        return view;
      }
      : parts[2] === 'clusters' && parts[3] ? () => policyView(site, parts[3], abort.signal)
      : () => siteView(site, abort.signal);
    // Redrawn at each new revision of the site, whoever made it (the policy page keeps its trace: it is not redrawn).
    if (parts[2] !== 'clusters') unwatch = watch(site, () => draw(render, me));
  } else {
    render = () => fleetView(abort.signal);
    poll = setInterval(() => draw(render, me), 5000);
  }
  await draw(render, me);
}
async function draw(render, me) {
  try {
    const view = await render();
    if (current === me) $('#view').replaceChildren(view);
  } catch (e) {
    if (e.name !== 'AbortError' && e.status !== 401 && current === me) $('#view').replaceChildren(failure(e));
  }
}

document.addEventListener('DOMContentLoaded', () => {
  $('#signin').addEventListener('submit', signIn);
  $('#signout').addEventListener('click', () => signOut());
  window.addEventListener('hashchange', route);
  route();
});
