// Summarizes a .cpuprofile (node --cpu-prof): self time by function and by package/file, top N.
// Usage: node bench/profile-summary.mjs <file.cpuprofile> [N]
import { readFileSync } from 'node:fs';

const [file, topArg] = process.argv.slice(2);
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parentOf = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
// Start at the first HTTP request: module loading and Nest's bootstrap are not the hot path.
const isRequest = (id) => {
  for (let cur = id; cur !== undefined; cur = parentOf.get(cur)) if (byId.get(cur).callFrame.functionName === 'parserOnHeadersComplete') return true;
  return false;
};
const first = Math.max(0, profile.samples.findIndex(isRequest));
const selfUs = new Map();
for (let i = first; i < profile.samples.length; i++) {
  selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
}
const total = [...selfUs.values()].reduce((s, x) => s + x, 0);

function where(url) {
  if (!url) return '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 13).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return url;
  const m = /(src|dist|bench-dist|[^/]+-dist)\/(.*)$/.exec(url);
  return m ? `app:${m[2]}` : url.split('/').slice(-2).join('/');
}

const byFunction = new Map();
const byPlace = new Map();
for (const [id, us] of selfUs) {
  const { callFrame } = byId.get(id);
  const place = where(callFrame.url);
  const fn = `${callFrame.functionName || '(anonymous)'} ${place}${callFrame.url ? `:${callFrame.lineNumber + 1}` : ''}`;
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  byPlace.set(place, (byPlace.get(place) ?? 0) + us);
}
const pct = (us) => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
const show = (title, map) => {
  console.log(`\n${title}`);
  for (const [k, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(us)}  ${k}`);
};
console.log(`${file}: ${(total / 1e6).toFixed(2)} s sampled from the first request on`);
show('self time by package / file', byPlace);
show('self time by function', byFunction);

// Inclusive time of the heaviest frames (a frame's own time plus everything it called), once per stack.
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const inclusive = new Map();
for (const [id, us] of selfUs) {
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const { callFrame } = byId.get(cur);
    const key = `${callFrame.functionName || '(anonymous)'} ${where(callFrame.url)}${callFrame.url ? `:${callFrame.lineNumber + 1}` : ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + us);
  }
}
if (process.env.INCLUSIVE) show('inclusive time by function', inclusive);

// Node internals and native frames charged to the nearest calling package or app file, so the table
// says which library's work it was (GC and idle stay on their own).
const owner = new Map();
function ownerOf(id) {
  if (owner.has(id)) return owner.get(id);
  const { callFrame } = byId.get(id);
  const place = where(callFrame.url);
  let result;
  if (callFrame.functionName === '(garbage collector)' || callFrame.functionName === '(idle)' || callFrame.functionName === '(program)') result = callFrame.functionName;
  else if (place !== '(native)' && !place.startsWith('node:')) result = place.startsWith('app:') ? 'app' : place;
  else result = parent.has(id) ? ownerOf(parent.get(id)) : 'node (no caller)';
  owner.set(id, result);
  return result;
}
const byOwner = new Map();
for (const [id, us] of selfUs) byOwner.set(ownerOf(id), (byOwner.get(ownerOf(id)) ?? 0) + us);
show('self time, node internals charged to the calling package', byOwner);

// The same, for the app's own functions.
const appFns = new Map();
for (const [id, us] of selfUs) {
  if (ownerOf(id) !== 'app') continue;
  let cur = id;
  while (!where(byId.get(cur).callFrame.url).startsWith('app:')) cur = parentOf.get(cur);
  const f = byId.get(cur).callFrame;
  const key = `${f.functionName || '(anonymous)'} ${where(f.url)}:${f.lineNumber + 1}`;
  appFns.set(key, (appFns.get(key) ?? 0) + us);
}
show('app functions (with the node internals they call)', appFns);
